//! The name resolver of outbound clients that may reach public addresses only. reqwest asks it for
//! every new connection, so a name that resolved to a public address when a form was saved and to an
//! internal one later (DNS rebinding) is still refused.

use std::io;
use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::address::is_public;
use super::Refused;

pub(super) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let refused = found.iter().map(SocketAddr::ip).find(|ip| !is_public(*ip));
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if !public.is_empty() {
                return Ok(Box::new(public.into_iter()) as Addrs);
            }
            Err(match refused {
                Some(ip) => Box::new(Refused { host, ip }) as _,
                None => {
                    Box::new(io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"))) as _
                }
            })
        })
    }
}
