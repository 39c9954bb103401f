//! Code and conventions both Stride services speak: the generated protos and their descriptor
//! set, the error model, configuration parsing, database connections, telemetry and the common
//! server plumbing (health, reflection, shutdown).
#![forbid(unsafe_code)]

pub mod chunks;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod db;
pub mod error;
pub mod mask;
pub mod paging;
pub mod prometheus;
pub mod proxies;
pub mod revoked;
pub mod secret;
pub mod server;
pub mod sql;
pub mod telemetry;
pub mod time;
pub mod verified;

/// Generated protobuf messages, clients and servers.
pub mod pb {
    /// `google.api` HTTP annotations, kept so the descriptor set drives Envoy's transcoder.
    pub mod google {
        #[allow(missing_docs, clippy::all)]
        pub mod api {
            tonic::include_proto!("google.api");
        }
    }

    /// `stride.auth.v1`: identities, sessions and tokens.
    pub mod auth {
        #[allow(clippy::all)]
        pub mod v1 {
            tonic::include_proto!("stride.auth.v1");
        }
    }

    /// `stride.fitness.v1`: workouts, exercises and stats.
    pub mod fitness {
        #[allow(clippy::all)]
        pub mod v1 {
            tonic::include_proto!("stride.fitness.v1");
        }
    }
}

/// Encoded `FileDescriptorSet` of every Stride proto and its imports, with source info and the
/// `google.api.http` options: served by reflection and read by the Envoy transcoder.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/stride_descriptor.bin"));
