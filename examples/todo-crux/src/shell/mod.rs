//! A native shell for the core, on tokio and reqwest (feature `shell`): what a platform shell
//! does, in Rust. Not part of the core: it executes the effects the core asks for and sends the
//! answers back, and the core never sees tokio or reqwest.
//!
//! * `Render`: the shell takes a new view (its "screen") and counts the render;
//! * `Http`: the request is made with reqwest on a task; the answer (any status), or
//!   `HttpError::Io` / `Timeout` when none came, resolves the request;
//! * `Timer`: `NotifyAfter` sleeps on a task, then resolves; `Clear` stops that task and
//!   answers `Cleared`.
//!
//! [`Shell::send`] hands an event to the core and runs what follows until nothing is left in
//! flight: every request answered, every timer run out or cleared (the core keeps at most
//! one, and none when nothing is due).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, SystemTime};

use crux_core::{Core, Request};
use crux_http::HttpError;
use crux_http::protocol::{HttpHeader, HttpRequest, HttpResponse, HttpResult};
use crux_time::{TimeRequest, TimeResponse, TimerId};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::{App, Effect, Event, ViewModel};

/// How long [`Shell::send`] waits for everything in flight before it gives up: far more than
/// the retry policy's longest wait, so only a hung server or a core that never goes idle hits it.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(30);

/// Why the shell stopped.
#[derive(Debug)]
pub enum ShellError {
    /// The HTTP client could not be built.
    Http(reqwest::Error),
    /// Effects were still in flight after [`SETTLE_LIMIT`].
    NotSettled {
        /// HTTP requests unanswered.
        requests: usize,
        /// Timers running.
        timers: usize,
    },
    /// The core refused an answer (a request resolved twice: a shell bug).
    Resolve(String),
}

impl fmt::Display for ShellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShellError::Http(error) => write!(f, "http client: {error}"),
            ShellError::NotSettled { requests, timers } => write!(
                f,
                "not settled after {SETTLE_LIMIT:?}: {requests} requests and {timers} timers in flight"
            ),
            ShellError::Resolve(why) => write!(f, "the core refused an answer: {why}"),
        }
    }
}

impl std::error::Error for ShellError {}

/// An effect's work, done on a task.
enum Done {
    Http(u64, HttpResult),
    Timer(TimerId),
}

/// The core and the effects it has in flight.
pub struct Shell {
    core: Core<App>,
    http: reqwest::Client,
    done_tx: mpsc::UnboundedSender<Done>,
    done_rx: mpsc::UnboundedReceiver<Done>,
    next_request: u64,
    requests: HashMap<u64, Request<HttpRequest>>,
    timers: HashMap<TimerId, (Request<TimeRequest>, JoinHandle<()>)>,
    /// The view as last rendered: what the user sees.
    screen: ViewModel,
    renders: usize,
    log: Vec<String>,
}

impl Shell {
    /// A shell around a new core (nothing started: send [`Event::Start`]).
    pub fn new() -> Result<Shell, ShellError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(1))
            .build()
            .map_err(ShellError::Http)?;
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Ok(Shell {
            core: Core::new(),
            http,
            done_tx,
            done_rx,
            next_request: 0,
            requests: HashMap::new(),
            timers: HashMap::new(),
            screen: ViewModel::default(),
            renders: 0,
            log: Vec::new(),
        })
    }

    /// Hands `event` to the core, then executes every effect that follows until nothing is in
    /// flight.
    pub async fn send(&mut self, event: Event) -> Result<(), ShellError> {
        let effects = self.core.process_event(event);
        self.execute(effects)?;
        self.settle().await
    }

    /// The view as last rendered (what the user sees).
    pub fn screen(&self) -> &ViewModel {
        &self.screen
    }

    /// The core's view now (a shell reads it on `Render`; this reads it at any time).
    pub fn view(&self) -> ViewModel {
        self.core.view()
    }

    /// The renders since the last call.
    pub fn take_renders(&mut self) -> usize {
        std::mem::take(&mut self.renders)
    }

    /// What the shell did since the last call, a line per request, answer and timer.
    pub fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    /// Waits for what is in flight, resolving each effect as its work ends.
    async fn settle(&mut self) -> Result<(), ShellError> {
        while !(self.requests.is_empty() && self.timers.is_empty()) {
            let next = tokio::time::timeout(SETTLE_LIMIT, self.done_rx.recv()).await;
            let Ok(Some(done)) = next else {
                return Err(ShellError::NotSettled {
                    requests: self.requests.len(),
                    timers: self.timers.len(),
                });
            };
            let effects = match done {
                Done::Http(id, result) => {
                    let Some(mut request) = self.requests.remove(&id) else {
                        continue;
                    };
                    self.log.push(format!("  <- {}", answer_line(&result)));
                    self.resolve(&mut request, result)?
                }
                Done::Timer(id) => {
                    let Some((mut request, _)) = self.timers.remove(&id) else {
                        continue;
                    };
                    self.log.push("  timer ran out".into());
                    self.resolve(&mut request, TimeResponse::DurationElapsed { id })?
                }
            };
            self.execute(effects)?;
        }
        Ok(())
    }

    fn resolve<Op: crux_core::capability::Operation>(
        &self,
        request: &mut Request<Op>,
        output: Op::Output,
    ) -> Result<Vec<Effect>, ShellError> {
        self.core
            .resolve(request, output)
            .map_err(|error| ShellError::Resolve(error.to_string()))
    }

    /// Starts each effect's work; a clear is answered at once, and what that brings is
    /// executed too.
    fn execute(&mut self, effects: Vec<Effect>) -> Result<(), ShellError> {
        let mut queue = VecDeque::from(effects);
        while let Some(effect) = queue.pop_front() {
            match effect {
                Effect::Render(_) => {
                    self.renders += 1;
                    self.screen = self.core.view();
                }
                Effect::Http(request) => {
                    self.log
                        .push(format!("  -> {}", request_line(&request.operation)));
                    let id = self.next_request;
                    self.next_request += 1;
                    let (client, operation, done) = (
                        self.http.clone(),
                        request.operation.clone(),
                        self.done_tx.clone(),
                    );
                    self.requests.insert(id, request);
                    tokio::spawn(async move {
                        let result = http(&client, operation).await;
                        let _ = done.send(Done::Http(id, result));
                    });
                }
                Effect::Timer(mut request) => match request.operation.clone() {
                    TimeRequest::NotifyAfter { id, duration } => {
                        let duration = Duration::from(duration);
                        self.log
                            .push(format!("  timer asked: after {} ms", duration.as_millis()));
                        self.start_timer(id, duration, request);
                    }
                    TimeRequest::NotifyAt { id, instant } => {
                        let at = SystemTime::from(instant);
                        let duration = at.duration_since(SystemTime::now()).unwrap_or_default();
                        self.start_timer(id, duration, request);
                    }
                    TimeRequest::Clear { id } => {
                        if let Some((_, task)) = self.timers.remove(&id) {
                            task.abort();
                        }
                        self.log.push("  timer cleared".into());
                        queue.extend(self.resolve(&mut request, TimeResponse::Cleared { id })?);
                    }
                    TimeRequest::Now => {
                        let instant = SystemTime::now().into();
                        queue.extend(self.resolve(&mut request, TimeResponse::Now { instant })?);
                    }
                },
            }
        }
        Ok(())
    }

    fn start_timer(&mut self, id: TimerId, duration: Duration, request: Request<TimeRequest>) {
        let done = self.done_tx.clone();
        let task = tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            let _ = done.send(Done::Timer(id));
        });
        self.timers.insert(id, (request, task));
    }
}

impl fmt::Debug for Shell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shell")
            .field("requests", &self.requests.len())
            .field("timers", &self.timers.len())
            .field("renders", &self.renders)
            .finish_non_exhaustive()
    }
}

/// Makes the request: any status is an answer; no answer (refused, reset, broken off, timed
/// out) is a transport error.
async fn http(client: &reqwest::Client, request: HttpRequest) -> HttpResult {
    let Ok(method) = reqwest::Method::from_bytes(request.method.as_bytes()) else {
        return HttpResult::Err(HttpError::Url(format!("bad method {:?}", request.method)));
    };
    let mut builder = client.request(method, &request.url);
    for header in &request.headers {
        builder = builder.header(&header.name, &header.value);
    }
    if !request.body.is_empty() {
        builder = builder.body(request.body);
    }
    let failed = |error: reqwest::Error| {
        if error.is_timeout() {
            HttpError::Timeout
        } else if error.is_builder() {
            HttpError::Url(error.to_string())
        } else {
            HttpError::Io(error.to_string())
        }
    };
    let response = match builder.send().await {
        Ok(response) => response,
        Err(error) => return HttpResult::Err(failed(error)),
    };
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some(HttpHeader {
                name: name.to_string(),
                value: value.to_str().ok()?.to_owned(),
            })
        })
        .collect();
    match response.bytes().await {
        Ok(body) => HttpResult::Ok(HttpResponse {
            status,
            headers,
            body: body.to_vec(),
        }),
        Err(error) => HttpResult::Err(failed(error)),
    }
}

/// `PATCH /todos/1 [key 1f2e3d4c, If-Match 3] {"done":true}`.
fn request_line(request: &HttpRequest) -> String {
    let path = request
        .url
        .find("://")
        .and_then(|scheme| {
            request.url[scheme + 3..]
                .find('/')
                .map(|at| scheme + 3 + at)
        })
        .map_or(request.url.as_str(), |at| &request.url[at..]);
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    };
    let mut line = format!("{} {path}", request.method);
    if let Some(key) = header("idempotency-key") {
        let short: String = key.chars().take(8).collect();
        line.push_str(&format!(" [key {short}"));
        if let Some(version) = header("if-match") {
            line.push_str(&format!(", If-Match {version}"));
        }
        line.push(']');
    }
    if !request.body.is_empty() {
        line.push(' ');
        line.push_str(&String::from_utf8_lossy(&request.body));
    }
    line
}

fn answer_line(result: &HttpResult) -> String {
    match result {
        HttpResult::Ok(response) => {
            let body = String::from_utf8_lossy(&response.body);
            let body: String = body.chars().take(100).collect();
            format!("{} {body}", response.status)
        }
        HttpResult::Err(error) => format!("no answer: {error}"),
    }
}
