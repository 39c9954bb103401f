//! `health`: the bare gRPC health `Check`, no auth layer, no database: the cost of a gRPC
//! round trip over loopback on this machine, the floor every other figure stands on.

use anyhow::Result;
use prost::Message as _;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

use super::{Ctx, process_rss};
use crate::external;
use crate::load::{Worker, warm_then_drive};
use crate::report::Row;
use crate::stack;

struct Check(HealthClient<Channel>);

impl Worker for Check {
    async fn call(&mut self) -> Result<(), tonic::Status> {
        self.0
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map(drop)
    }
}

/// Measures health checks against the fitness service.
pub async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    // Auth disabled: without an auth service the feed would retry in the background.
    let fitness = stack::start_fitness(ctx.plan.backend, "http://127.0.0.1:9".into(), true).await?;
    let channels =
        stack::channels(fitness.addr, stack::connections_for(ctx.plan.concurrency)).await?;
    let concurrency = ctx.plan.concurrency;
    let outcome = warm_then_drive(
        async || {
            Ok((0..concurrency)
                .map(|i| Check(HealthClient::new(channels[i % channels.len()].clone())))
                .collect())
        },
        ctx.limits(),
    )
    .await?;
    let mut row = Row::from_outcome(crate::floor::FLOOR_ROW, &outcome).noted(format!(
        "{concurrency} in flight over {} connections",
        channels.len()
    ));
    row.rss = process_rss();
    let mut rows = vec![row];
    if ctx.plan.external {
        let call = external::Call {
            path: "/grpc.health.v1.Health/Check".into(),
            headers: Vec::new(),
            message: HealthCheckRequest {
                service: String::new(),
            }
            .encode_to_vec(),
            reply_len: HealthCheckResponse {
                status: ServingStatus::Serving.into(),
            }
            .encoded_len(),
        };
        rows.push(
            external::measure(
                crate::floor::FLOOR_ROW,
                fitness.addr,
                &call,
                ctx.plan.duration,
                concurrency,
                channels.len(),
            )
            .await?,
        );
    }
    fitness.stop().await?;
    Ok(rows)
}
