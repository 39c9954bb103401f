//! A minimal HTTP/1.1 client, enough to be a browser of the console: one kept-alive
//! connection, a cookie jar, `GET` and form `POST`, bodies framed by `Content-Length` or
//! chunked. No redirects are followed: the caller checks them.

use std::net::SocketAddr;

use anyhow::{Context as _, Result, anyhow, bail};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use crate::stack::CALL_TIMEOUT;

/// Largest body read (a page of the console is a few hundred KiB at most).
const MAX_BODY: usize = 16 << 20;
/// Largest header line read.
const MAX_LINE: usize = 64 << 10;

/// One answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values, in order.
    headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl Response {
    /// An answer with no headers.
    #[cfg(test)]
    pub fn for_tests(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name` (lower case).
    fn headers<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A browser of one site: its cookies and one kept-alive connection, opened when first needed
/// and opened again if the server closed it while idle.
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    connection: Option<BufReader<TcpStream>>,
    cookies: Vec<(String, String)>,
}

impl Client {
    /// A client of `addr` with no cookie and no connection yet.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            connection: None,
            cookies: Vec::new(),
        }
    }

    /// Another browser tab: the same cookies, its own connection.
    pub fn fork(&self) -> Self {
        Self {
            addr: self.addr,
            connection: None,
            cookies: self.cookies.clone(),
        }
    }

    /// The value of cookie `name`, if the site set it.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Opens the connection now (so that no measured request pays for it).
    pub async fn connect(&mut self) -> Result<()> {
        if self.connection.is_none() {
            let tcp = TcpStream::connect(self.addr)
                .await
                .with_context(|| format!("connect to the console at {}", self.addr))?;
            tcp.set_nodelay(true)?;
            self.connection = Some(BufReader::new(tcp));
        }
        Ok(())
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Result<Response> {
        let head = self.head("GET", path, &[]);
        self.exchange(head.as_bytes()).await
    }

    /// `POST path` of a URL-encoded form.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Result<Response> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let length = body.len().to_string();
        let mut request = self.head(
            "POST",
            path,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Content-Length", &length),
            ],
        );
        request.push_str(&body);
        self.exchange(request.as_bytes()).await
    }

    /// The request line and headers, with the cookies.
    fn head(&self, method: &str, path: &str, extra: &[(&str, &str)]) -> String {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: stride-bench\r\nAccept: text/html\r\n",
            self.addr
        );
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            head.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head
    }

    /// Sends `request` and reads the answer, within the benchmark's call deadline. A kept-alive
    /// connection the server closed while idle is opened again once.
    async fn exchange(&mut self, request: &[u8]) -> Result<Response> {
        let exchanged = tokio::time::timeout(CALL_TIMEOUT, async {
            let reused = self.connection.is_some();
            match self.attempt(request).await? {
                Some(response) => Ok(response),
                None if reused => self.attempt(request).await?.ok_or_else(|| {
                    anyhow!("the console closed a new connection without answering")
                }),
                None => Err(anyhow!(
                    "the console closed the connection without answering"
                )),
            }
        })
        .await;
        let response = match exchanged {
            Ok(answered) => answered,
            Err(_) => {
                self.connection = None;
                Err(anyhow!("no answer within {} s", CALL_TIMEOUT.as_secs()))
            }
        };
        if response.is_err() {
            self.connection = None;
        }
        let response = response?;
        self.keep_cookies(&response);
        Ok(response)
    }

    /// One try: `None` when the connection was closed before the first byte of an answer.
    async fn attempt(&mut self, request: &[u8]) -> Result<Option<Response>> {
        self.connect().await?;
        let Some(connection) = self.connection.as_mut() else {
            bail!("no connection");
        };
        if connection.get_mut().write_all(request).await.is_err() {
            self.connection = None;
            return Ok(None);
        }
        let Some(status_line) = read_line(connection).await? else {
            self.connection = None;
            return Ok(None);
        };
        let status = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| anyhow!("not an HTTP/1.1 status line: {status_line:?}"))?;
        let mut headers = Vec::new();
        loop {
            let line = read_line(connection)
                .await?
                .ok_or_else(|| anyhow!("the connection closed inside the headers"))?;
            if line.is_empty() {
                break;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| anyhow!("not a header: {line:?}"))?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        let mut response = Response {
            status,
            headers,
            body: String::new(),
        };
        let body = read_body(connection, &response).await?;
        response.body = String::from_utf8_lossy(&body).into_owned();
        let closes = response
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        if closes || framed_by_close(&response) {
            self.connection = None;
        }
        Ok(Some(response))
    }

    /// Applies the answer's `Set-Cookie` headers: a value replaces, an empty value or
    /// `Max-Age=0` removes.
    fn keep_cookies(&mut self, response: &Response) {
        for set in response.headers("set-cookie") {
            let mut attributes = set.split(';').map(str::trim);
            let Some((name, value)) = attributes.next().and_then(|pair| pair.split_once('='))
            else {
                continue;
            };
            let expired = attributes.any(|a| a.eq_ignore_ascii_case("max-age=0"));
            self.cookies.retain(|(n, _)| n != name);
            if !expired && !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }
}

/// True when the body runs to the end of the connection (neither length nor chunks).
fn framed_by_close(response: &Response) -> bool {
    response.header("content-length").is_none() && !chunked(response) && has_body(response)
}

fn chunked(response: &Response) -> bool {
    response
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
}

/// Whether a status may carry a body (1xx, 204 and 304 never do).
fn has_body(response: &Response) -> bool {
    !(response.status < 200 || response.status == 204 || response.status == 304)
}

/// One line without its CRLF; `None` at the end of the stream.
async fn read_line(connection: &mut BufReader<TcpStream>) -> Result<Option<String>> {
    let mut line = Vec::new();
    let read = (&mut *connection)
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut line)
        .await?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        bail!("a line longer than {MAX_LINE} bytes or cut short");
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// The body of `response`, framed as its headers say.
async fn read_body(connection: &mut BufReader<TcpStream>, response: &Response) -> Result<Vec<u8>> {
    if !has_body(response) {
        return Ok(Vec::new());
    }
    if chunked(response) {
        return read_chunks(connection).await;
    }
    if let Some(length) = response.header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| anyhow!("bad Content-Length {length:?}"))?;
        if length > MAX_BODY {
            bail!("a body of {length} bytes");
        }
        let mut body = vec![0; length];
        connection.read_exact(&mut body).await?;
        return Ok(body);
    }
    let mut body = Vec::new();
    (&mut *connection)
        .take(MAX_BODY as u64)
        .read_to_end(&mut body)
        .await?;
    Ok(body)
}

/// A chunked body, its trailers skipped.
async fn read_chunks(connection: &mut BufReader<TcpStream>) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(connection)
            .await?
            .ok_or_else(|| anyhow!("the connection closed inside a chunked body"))?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size, 16).map_err(|_| anyhow!("bad chunk size {line:?}"))?;
        if size == 0 {
            break;
        }
        if body.len() + size > MAX_BODY {
            bail!("a body over {MAX_BODY} bytes");
        }
        let start = body.len();
        body.resize(start + size, 0);
        connection.read_exact(&mut body[start..]).await?;
        let end = read_line(connection).await?;
        if end.as_deref() != Some("") {
            bail!("a chunk not followed by CRLF");
        }
    }
    // Trailers, up to the empty line.
    while let Some(line) = read_line(connection).await? {
        if line.is_empty() {
            break;
        }
    }
    Ok(body)
}

/// The text inside the first `<h1>` of a page, tags included.
pub fn h1(page: &str) -> Option<&str> {
    let open = page.find("<h1")?;
    let inner = open + page[open..].find('>')? + 1;
    let close = inner + page[inner..].find("</h1>")?;
    Some(&page[inner..close])
}

/// The value of the hidden input `name` in a page (as the console's forms write it:
/// `name="…" value="…"`).
pub fn hidden(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\""))?;
    let tag_end = at + page[at..].find('>')?;
    let tag = &page[at..tag_end];
    let value = tag.find("value=\"")? + "value=\"".len();
    let len = tag[value..].find('"')?;
    Some(tag[value..value + len].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn the_heading_and_a_hidden_field_are_found() {
        let page = r#"<main><h1 class="x">Users <span>12</span></h1><form><input type="hidden" name="_csrf" value="abc-_1"><input name="login"></form>"#;
        assert_eq!(h1(page), Some("Users <span>12</span>"));
        assert_eq!(hidden(page, "_csrf").as_deref(), Some("abc-_1"));
        assert_eq!(hidden(page, "other"), None);
        assert_eq!(h1("<p>no heading</p>"), None);
    }

    /// Serves `answers` one after the other on one connection, then closes it.
    async fn server(answers: Vec<&'static str>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tcp = BufReader::new(tcp);
            for answer in answers {
                // Read one request head (these tests send no bodies).
                loop {
                    let mut line = String::new();
                    if tcp.read_line(&mut line).await.unwrap() == 0 || line == "\r\n" {
                        break;
                    }
                }
                tcp.get_mut().write_all(answer.as_bytes()).await.unwrap();
            }
        });
        addr
    }

    #[tokio::test]
    async fn lengths_chunks_and_cookies_are_read_on_one_kept_alive_connection() {
        let addr = server(vec![
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: a=1; Path=/\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
            "HTTP/1.1 303 See Other\r\nLocation: /\r\nSet-Cookie: a=; Max-Age=0\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
        ])
        .await;
        let mut client = Client::new(addr);
        let first = client.get("/").await.unwrap();
        assert_eq!((first.status, first.body.as_str()), (200, "hello"));
        assert_eq!(client.cookie("a"), Some("1"));
        let second = client.get("/").await.unwrap();
        assert_eq!(second.body, "abcde");
        let third = client.get("/").await.unwrap();
        assert_eq!(third.status, 303);
        assert_eq!(third.header("location"), Some("/"));
        assert_eq!(client.cookie("a"), None);
        assert_eq!(client.cookie("b"), Some("2"));
        assert!(client.fork().cookie("b").is_some());
    }

    #[tokio::test]
    async fn a_connection_closed_without_an_answer_is_an_error() {
        let addr = server(vec![]).await;
        let mut client = Client::new(addr);
        assert!(client.get("/").await.is_err());
    }
}
