//! The HTTP side: `POST /graphql` (with the faults around the executor) and
//! `GET /schema.graphql`. It knows the schema only as something to execute and print.

use std::sync::Arc;

use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::error::Code;
use crate::fault::{Fault, Faults, header_fault};
use crate::schema::BoardSchema;

/// What the handlers share.
pub(crate) struct App {
    pub schema: BoardSchema,
    /// The schema's SDL, printed once.
    pub sdl: String,
    pub faults: Faults,
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/graphql", post(graphql))
        .route("/schema.graphql", get(schema))
        .with_state(app)
}

/// The media type of a GraphQL answer (GraphQL over HTTP), as async-graphql-axum sends it.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// The name of the operation a request runs: its `operationName`, else the name of its
/// document's only operation; `None` for an anonymous one or a document that does not parse
/// (the executor answers that).
fn operation_name(request: &mut async_graphql::Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    let document = request.parsed_query().ok()?;
    let mut names = document.operations.iter().map(|(name, _)| name);
    match (names.next(), names.next()) {
        (Some(Some(name)), None) => Some(name.to_string()),
        _ => None,
    }
}

/// An answer with one top-level error and no execution.
fn injected(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(GRAPHQL_RESPONSE),
    );
    response
}

async fn graphql(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let mut request = request.into_inner();
    let operation = operation_name(&mut request);
    let fault = app
        .faults
        .take(operation.as_deref(), header_fault(&headers));
    let error =
        json!({"message": "injected failure", "extensions": {"code": Code::Injected.as_str()}});
    match fault {
        Some(Fault::Latency(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Fail) => {
            return injected(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "errors": [error] }),
            );
        }
        Some(Fault::Errors) => {
            return injected(StatusCode::OK, json!({ "data": null, "errors": [error] }));
        }
        Some(Fault::Lose) | None => {}
    }
    let response = app.schema.execute(request).await;
    if fault == Some(Fault::Lose) {
        // Executed (a mutation committed); the answer is lost on the way: the body errors
        // and the connection aborts.
        let broken = futures_util::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("answer lost"))
        });
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, GRAPHQL_RESPONSE)
            .body(Body::from_stream(broken))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    GraphQLResponse::from(response).into_response()
}

async fn schema(State(app): State<Arc<App>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        app.sdl.clone(),
    )
        .into_response()
}
