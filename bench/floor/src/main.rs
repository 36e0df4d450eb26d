//! The smallest useful lambda_http function, built with the same profile as panelops' functions.

use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_req: Request| async { Ok::<_, Error>("ok") })).await
}
