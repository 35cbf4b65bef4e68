//! A test shell with no I/O: runs the core's commands, collects the effects each step asks for,
//! feeds the events they send back to `App::update`, and lets the test answer each request.

use crux_core::{App as _, Command, Request};
use crux_http::protocol::{HttpRequest, HttpResponse, HttpResult};
use crux_time::{TimeRequest, TimeResponse};
use serde_json::Value as Json;
use todo_crux::{App, Effect, Event, Model, ViewModel};

pub const API: &str = "http://todo.test";

/// What one step (an event, an answer, a timer) asked of the shell.
#[derive(Default)]
pub struct Step {
    /// Render effects.
    pub renders: usize,
    /// HTTP requests, in the order asked.
    pub http: Vec<Request<HttpRequest>>,
    /// Timers asked for (`NotifyAfter`).
    pub timers: Vec<Request<TimeRequest>>,
    /// Timers cleared (`Clear`, answered `Cleared` here as a shell would).
    pub cleared: usize,
}

impl Step {
    /// The requests with this method.
    pub fn with_method(&self, method: &str) -> Vec<&HttpRequest> {
        self.http
            .iter()
            .map(|request| &request.operation)
            .filter(|request| request.method == method)
            .collect()
    }

    /// The one request with this method (panics otherwise), for answering.
    pub fn take(&mut self, method: &str) -> Request<HttpRequest> {
        let at: Vec<usize> = (0..self.http.len())
            .filter(|at| self.http[*at].operation.method == method)
            .collect();
        assert_eq!(at.len(), 1, "one {method} expected: {:?}", self.summary());
        self.http.remove(at[0])
    }

    /// The one timer asked for (panics otherwise).
    pub fn take_timer(&mut self) -> Request<TimeRequest> {
        assert_eq!(self.timers.len(), 1, "one timer expected");
        self.timers.remove(0)
    }

    /// `METHOD url` of each request, for messages.
    pub fn summary(&self) -> Vec<String> {
        self.http
            .iter()
            .map(|r| format!("{} {}", r.operation.method, r.operation.url))
            .collect()
    }
}

/// The core, its model, and the commands still running.
pub struct Harness {
    app: App,
    pub model: Model,
    commands: Vec<Command<Effect, Event>>,
}

impl Harness {
    pub fn new() -> Harness {
        Harness {
            app: App,
            model: Model::default(),
            commands: Vec::new(),
        }
    }

    /// Started, with the list's first fetch answered with `rows`.
    pub fn loaded(rows: Json) -> Harness {
        let mut harness = Harness::new();
        let mut start = harness.send(Event::Start { api: API.into() });
        let mut get = start.take("GET");
        harness.answer(&mut get, ok(200, rows));
        harness
    }

    pub fn view(&self) -> ViewModel {
        self.app.view(&self.model)
    }

    /// An event from the user or the device.
    pub fn send(&mut self, event: Event) -> Step {
        let command = self.app.update(event, &mut self.model);
        self.commands.push(command);
        self.settle()
    }

    /// The shell's answer to an HTTP request.
    pub fn answer(&mut self, request: &mut Request<HttpRequest>, result: HttpResult) -> Step {
        request
            .resolve(result)
            .expect("the request awaits an answer");
        self.settle()
    }

    /// The timer runs out.
    pub fn fire(&mut self, timer: &mut Request<TimeRequest>) -> Step {
        let TimeRequest::NotifyAfter { id, .. } = timer.operation else {
            panic!("not a timer: {:?}", timer.operation);
        };
        timer
            .resolve(TimeResponse::DurationElapsed { id })
            .expect("the timer awaits its end");
        self.settle()
    }

    /// Runs the commands until none can go on without the shell; events they send go back to
    /// `update`, and the commands those make run too.
    fn settle(&mut self) -> Step {
        let mut step = Step::default();
        loop {
            let mut events = Vec::new();
            for command in &mut self.commands {
                // A clear is answered at once; the command may then go on.
                loop {
                    let effects: Vec<Effect> = command.effects().collect();
                    if effects.is_empty() {
                        break;
                    }
                    for effect in effects {
                        match effect {
                            Effect::Render(_) => step.renders += 1,
                            Effect::Http(request) => step.http.push(request),
                            Effect::Timer(mut request) => match request.operation {
                                TimeRequest::Clear { id } => {
                                    step.cleared += 1;
                                    request
                                        .resolve(TimeResponse::Cleared { id })
                                        .expect("the clear awaits its answer");
                                }
                                TimeRequest::NotifyAfter { .. } => step.timers.push(request),
                                _ => panic!("unexpected timer request {:?}", request.operation),
                            },
                        }
                    }
                }
                events.extend(command.events());
            }
            self.commands.retain_mut(|command| !command.is_done());
            if events.is_empty() {
                return step;
            }
            for event in events {
                let command = self.app.update(event, &mut self.model);
                self.commands.push(command);
            }
        }
    }
}

/// A response with a JSON body.
pub fn ok(status: u16, body: Json) -> HttpResult {
    HttpResult::Ok(HttpResponse::status(status).json(body).build())
}

/// A header of a request, by name in any case.
pub fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case(name))
        .map(|header| header.value.as_str())
}

/// A request's JSON body.
pub fn body(request: &HttpRequest) -> Json {
    serde_json::from_slice(&request.body).unwrap_or(Json::Null)
}

/// A server row.
pub fn row(id: i64, title: &str, done: bool, version: i64) -> Json {
    serde_json::json!({"id": id, "title": title, "done": done, "version": version})
}
