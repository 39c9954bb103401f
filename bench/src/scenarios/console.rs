//! `console-pages`: how long the web console takes to answer each of its pages, server side,
//! with 1,000 users and 100,000 workouts (`--quick`: 100 and 10,000).
//!
//! Auth, fitness (its auth layer on: the console sends the signed-in user's real tokens) and
//! the console run in-process, as in every scenario. The users are registered through
//! `Register` with cheap Argon2 (1 MiB, t = 1): sign-ins are not what is measured, pages are.
//! Their workouts (100 each) and statistics rows go straight into the fitness database
//! ([`seed`]); the first user is made an admin in the auth database.
//!
//! The admin signs in through the console's own form over HTTP. Then each page is fetched one
//! request at a time, after a warm-up, on one kept-alive HTTP/1.1 connection: from the
//! request's first byte written to the page's last byte read, every RPC the page makes
//! included, which is what a page's render time is. Every answer must be 200 with the page's
//! `<h1>`. A last row fetches all the pages at 4 in flight.

mod http;
mod seed;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use shared::pb::fitness::v1::GetMyStatsRequest;
use shared::pb::fitness::v1::stats_service_client::StatsServiceClient;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use self::http::Client;
use super::setup::{self, User};
use super::{Ctx, process_rss};
use crate::load::{Limits, Outcome, Worker, drive};
use crate::report::{Row, Verdict};
use crate::stack::{self, Argon2Cost, Running};

/// Scenario name.
const NAME: &str = "console-pages";
/// The target: a page's 99th percentile, server side.
const TARGET_P99: Duration = Duration::from_millis(50);
/// Workouts per user.
const WORKOUTS_PER_USER: u64 = 100;
/// Pages fetched at once in the last row.
const CONCURRENT: usize = 4;
/// Sign-ins of the admin and of the user of `/admin/users/{id}` beyond their registration:
/// more sessions than the sessions pages show (10).
const EXTRA_SESSIONS: usize = 11;
/// Users signed in last, so the newest security events are theirs: the events page's 50
/// rows (the admin's own console sign-in is the 50th user).
const EVENTS_PAGE: usize = 49;

/// How much this run seeds and measures.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    users: usize,
    /// Measured requests per page.
    requests: u64,
    /// Unmeasured requests per page before them.
    warmup: u64,
}

impl Sizes {
    fn of(ctx: &Ctx) -> Self {
        if ctx.plan.quick {
            Self {
                users: 100,
                requests: 5,
                warmup: 2,
            }
        } else {
            Self {
                users: 1_000,
                requests: ctx.plan.requests.min(300),
                warmup: 30,
            }
        }
    }

    fn workouts(&self) -> u64 {
        self.users as u64 * WORKOUTS_PER_USER
    }
}

/// A page and how to recognise it.
#[derive(Debug, Clone)]
struct Page {
    /// The route, as a row names it (`/admin/users/{id}`).
    route: &'static str,
    /// The path fetched.
    path: String,
    /// Text its `<h1>` holds.
    heading: String,
}

/// Every page of the console a signed-in admin sees; `other` is the user whose admin page is
/// fetched.
fn pages(other: &User) -> Vec<Page> {
    let page = |route: &'static str, heading: &str| Page {
        route,
        path: route.to_owned(),
        heading: heading.to_owned(),
    };
    vec![
        page("/", "Profile"),
        page("/sessions", "Sessions"),
        page("/training", "Training"),
        page("/admin", "Dashboard"),
        page("/admin/users", "Users"),
        Page {
            route: "/admin/users/{id}",
            path: format!("/admin/users/{}", other.id),
            heading: other.username.clone(),
        },
        page("/admin/events", "Security events"),
        page("/admin/keys", "Signing keys"),
        page("/leaderboard", "Leaderboard"),
    ]
}

/// Why `response` is not `page` as it should be.
fn check(page: &Page, response: &http::Response) -> Result<(), String> {
    if response.status != 200 {
        let whence = response
            .header("location")
            .map(|to| format!(" to {to}"))
            .unwrap_or_default();
        return Err(format!(
            "GET {}: HTTP {}{whence}",
            page.route, response.status
        ));
    }
    match http::h1(&response.body) {
        Some(h1) if h1.contains(&page.heading) => Ok(()),
        Some(h1) => Err(format!(
            "GET {}: <h1> is {h1:?}, expected {:?}",
            page.route, page.heading
        )),
        None => Err(format!("GET {}: no <h1>", page.route)),
    }
}

/// Fetches pages in turn on its own kept-alive connection.
struct PageWorker {
    client: Client,
    pages: Arc<Vec<Page>>,
    next: usize,
}

impl PageWorker {
    /// A worker starting at page `first`, its connection already open.
    async fn connected(signed_in: &Client, pages: &Arc<Vec<Page>>, first: usize) -> Result<Self> {
        let mut client = signed_in.fork();
        client.connect().await?;
        Ok(Self {
            client,
            pages: Arc::clone(pages),
            next: first,
        })
    }
}

impl Worker for PageWorker {
    async fn call(&mut self) -> Result<(), tonic::Status> {
        let page = &self.pages[self.next % self.pages.len()];
        self.next = self.next.wrapping_add(1);
        let response = self
            .client
            .get(&page.path)
            .await
            .map_err(|e| tonic::Status::internal(format!("GET {}: {e:#}", page.route)))?;
        check(page, &response).map_err(tonic::Status::internal)
    }
}

/// The console serving in a task of this runtime.
struct ConsoleTask {
    addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl ConsoleTask {
    async fn start(auth: &Running, fitness: &Running) -> Result<Self> {
        let config = stride_console::Config::for_services(&auth.url(), &fitness.url());
        let console = stride_console::Console::build(config)
            .await
            .context("the console does not start")?;
        let addr = console.local_addr();
        let (shutdown, stop) = oneshot::channel();
        let task = tokio::spawn(console.run(async move {
            let _ = stop.await;
        }));
        Ok(Self {
            addr,
            shutdown,
            task,
        })
    }

    /// Asks it to stop and waits (bounded) until it has.
    async fn stop(self) -> Result<()> {
        let _ = self.shutdown.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .map_err(|_| anyhow!("the console did not stop within 10 s"))?
            .context("the console's task")?
            .context("the console")
    }
}

/// `console-pages`: seeds, signs in, measures every page, stops everything.
pub async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let sizes = Sizes::of(ctx);
    let auth = stack::start_auth(ctx.plan.backend, Argon2Cost::Fast).await?;
    let fitness = match stack::start_fitness(ctx.plan.backend, auth.url(), false).await {
        Ok(fitness) => fitness,
        Err(err) => {
            auth.stop().await?;
            return Err(err);
        }
    };
    let console = match ConsoleTask::start(&auth, &fitness).await {
        Ok(console) => console,
        Err(err) => {
            fitness.stop().await?;
            auth.stop().await?;
            return Err(err);
        }
    };
    let measured = seed_and_measure(ctx, sizes, &auth, &fitness, console.addr).await;
    let stopped = console.stop().await;
    fitness.stop().await?;
    auth.stop().await?;
    let rows = measured?;
    stopped?;
    Ok(rows)
}

/// What the population took to set up.
struct Seeded {
    admin: User,
    other: User,
    registering: Duration,
    inserting: Duration,
}

async fn seed_and_measure(
    ctx: &Ctx,
    sizes: Sizes,
    auth: &Running,
    fitness: &Running,
    console: SocketAddr,
) -> Result<Vec<Row>> {
    let seeded = populate(sizes, auth, fitness).await?;
    let fitness_channel = stack::channels(fitness.addr, 1).await?;
    wait_for_fitness(&fitness_channel[0], &seeded.admin).await?;
    let mut browser = Client::new(console);
    sign_in(&mut browser, &seeded.admin.username).await?;

    let note = format!(
        "{} users, {} workouts; 1 in flight, kept-alive HTTP/1.1; {} requests after {} warm-up; \
         users registered with cheap Argon2 (pages are measured, not sign-ins)",
        thousands(sizes.users as u64),
        thousands(sizes.workouts()),
        sizes.requests,
        sizes.warmup
    );
    let mut rows = Vec::new();
    let mut measured = Vec::new();
    for page in pages(&seeded.other) {
        let outcome = measure_page(&browser, &page, sizes).await?;
        rows.push(page_row(&page, &outcome, &note));
        measured.push(page);
    }
    rows.push(concurrent_row(ctx, &browser, measured, sizes, &seeded).await?);
    Ok(rows)
}

/// Registers the users, makes the first an admin, seeds workouts and statistics.
///
/// Each page is measured at its heaviest: the admin and the user whose admin page is fetched
/// get more sessions than a page shows (each shown with its token tree), and the newest
/// security events are sign-ins of as many different users as the events page lists (each
/// username asked of auth).
async fn populate(sizes: Sizes, auth: &Running, fitness: &Running) -> Result<Seeded> {
    let channel = &stack::channels(auth.addr, 1).await?[0];
    let t0 = Instant::now();
    let prefix = format!("cp{}", setup::run_tag());
    let mut users = seed::users(channel, &prefix, 0..2).await?;
    seed::sign_ins(channel, &users, EXTRA_SESSIONS).await?;
    users.extend(seed::users(channel, &prefix, 2..sizes.users).await?);
    let latest = users.len().saturating_sub(EVENTS_PAGE);
    seed::sign_ins(channel, &users[latest.max(2)..], 1).await?;
    let registering = t0.elapsed();
    let (Some(admin), Some(other)) = (users.first(), users.get(1)) else {
        bail!("{NAME} needs at least two users");
    };
    seed::make_admin(&auth.db, &admin.id).await?;
    let t1 = Instant::now();
    let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
    seed::workouts(&fitness.db, &ids, WORKOUTS_PER_USER).await?;
    for db in [&auth.db, &fitness.db] {
        // The planner's statistics, as autovacuum or a periodic ANALYZE would have them.
        sqlx::query("ANALYZE").execute(db.pool()).await?;
    }
    Ok(Seeded {
        admin: admin.clone(),
        other: other.clone(),
        registering,
        inserting: t1.elapsed(),
    })
}

/// Waits (at most 10 s) until fitness accepts the admin's token: its auth layer answers
/// UNAVAILABLE until its revocation feed has connected once.
async fn wait_for_fitness(channel: &Channel, admin: &User) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let bearer = setup::bearer(&admin.tokens.access_token)?;
    loop {
        let mut request = tonic::Request::new(GetMyStatsRequest {});
        request
            .metadata_mut()
            .insert("authorization", bearer.clone());
        match StatsServiceClient::new(channel.clone())
            .get_my_stats(request)
            .await
        {
            Ok(_) => return Ok(()),
            Err(status)
                if status.code() == tonic::Code::Unavailable && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => return Err(anyhow!("fitness refuses the admin: {status}")),
        }
    }
}

/// Signs in through the console's form: `GET /login` for the pre-session cookie and the
/// form's CSRF token, `POST /login`, then a redirect to `/` with the session cookie.
async fn sign_in(browser: &mut Client, login: &str) -> Result<()> {
    let form = browser.get("/login").await?;
    if form.status != 200 {
        bail!("GET /login: HTTP {}", form.status);
    }
    if browser.cookie("stride_presession").is_none() {
        bail!("GET /login set no stride_presession cookie");
    }
    let csrf =
        http::hidden(&form.body, "_csrf").ok_or_else(|| anyhow!("GET /login: no _csrf field"))?;
    let answer = browser
        .post_form(
            "/login",
            &[
                ("_csrf", csrf.as_str()),
                ("login", login),
                ("password", setup::PASSWORD),
            ],
        )
        .await?;
    if answer.status != 303 || answer.header("location") != Some("/") {
        bail!(
            "POST /login: HTTP {} to {:?}, not 303 to / ({})",
            answer.status,
            answer.header("location"),
            http::h1(&answer.body).unwrap_or_default()
        );
    }
    if browser.cookie("stride_session").is_none() {
        bail!("POST /login set no stride_session cookie");
    }
    Ok(())
}

/// One page at 1 in flight (a page that answers anything but 200 with its heading counts as
/// errors, and the scenario fails).
async fn measure_page(browser: &Client, page: &Page, sizes: Sizes) -> Result<Outcome> {
    let pages = Arc::new(vec![page.clone()]);
    // Bounded by the request counts; the deadline only stops a page far over its target.
    let generous = Duration::from_secs(60);
    drive(
        vec![PageWorker::connected(browser, &pages, 0).await?],
        Limits {
            duration: generous,
            requests: sizes.warmup,
        },
    )
    .await?;
    let outcome = drive(
        vec![PageWorker::connected(browser, &pages, 0).await?],
        Limits {
            duration: generous,
            requests: sizes.requests,
        },
    )
    .await?;
    Ok(outcome)
}

/// A page's row, judged on its p99.
fn page_row(page: &Page, outcome: &Outcome, note: &str) -> Row {
    let target_us = TARGET_P99.as_micros() as u64;
    let verdict = match outcome.latency {
        Some(latency) => Verdict::check(latency.p99 < target_us, || {
            format!("p99 {:.1} ms", latency.p99 as f64 / 1_000.0)
        }),
        // Not skipped: the errors must count as a problem.
        None => Verdict::Missed("no successful request".into()),
    };
    let mut row = Row::from_outcome(format!("{NAME}: {}", page.route), outcome)
        .judged(format!("p99 < {} ms", TARGET_P99.as_millis()), verdict)
        .noted(note);
    row.rss = process_rss();
    row
}

/// Every page in turn at [`CONCURRENT`] in flight (no target: what the console sustains).
async fn concurrent_row(
    ctx: &Ctx,
    browser: &Client,
    pages: Vec<Page>,
    sizes: Sizes,
    seeded: &Seeded,
) -> Result<Row> {
    let pages = Arc::new(pages);
    let mut workers = Vec::with_capacity(CONCURRENT);
    for i in 0..CONCURRENT {
        workers.push(PageWorker::connected(browser, &pages, i * pages.len() / CONCURRENT).await?);
    }
    let requests = if ctx.plan.quick {
        2 * pages.len() as u64
    } else {
        40 * pages.len() as u64
    };
    let outcome = drive(
        workers,
        Limits {
            duration: ctx.plan.duration.max(Duration::from_secs(1)),
            requests,
        },
    )
    .await?;
    let mut row = Row::from_outcome(
        format!("{NAME}: every page, {CONCURRENT} in flight"),
        &outcome,
    )
    .noted(format!(
        "{} pages in turn, {CONCURRENT} kept-alive connections of one session; seeded: \
         {} users by Register and Login ({registering} at once) in {:.1} s, {} workouts and \
         statistics rows by multi-row INSERT in {:.1} s",
        pages.len(),
        thousands(sizes.users as u64),
        seeded.registering.as_secs_f64(),
        thousands(sizes.workouts()),
        seeded.inserting.as_secs_f64(),
        registering = seed::REGISTERING,
    ));
    row.rss = process_rss();
    Ok(row)
}

/// `1,000`, `100,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> http::Response {
        http::Response::for_tests(status, body)
    }

    fn page() -> Page {
        Page {
            route: "/admin/users",
            path: "/admin/users".into(),
            heading: "Users".into(),
        }
    }

    #[test]
    fn a_page_is_recognised_by_its_status_and_heading() {
        assert!(check(&page(), &response(200, "<main><h1>Users</h1></main>")).is_ok());
        let wrong = check(&page(), &response(200, "<h1>Sign in</h1>")).unwrap_err();
        assert!(wrong.contains("Sign in"), "{wrong}");
        let redirected = check(&page(), &response(303, "")).unwrap_err();
        assert!(redirected.contains("303"), "{redirected}");
        assert!(check(&page(), &response(200, "<p>Users</p>")).is_err());
    }

    #[test]
    fn counts_are_printed_with_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(100), "100");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
