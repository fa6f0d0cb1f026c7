//! Runs walkthrough steps as a shell would, for the few commands a walkthrough uses: `curl`
//! (made here over HTTP), `cargo run ... -p crm -- token` (minted with the suite's key), and
//! `grep -o` / `head -n1` behind a pipe. Anything else is an error, so the walkthrough stays
//! within what this test can check.

use std::{collections::HashMap, time::Duration};

use bytes::Bytes;
use crm_kit::auth::Role;
use http_body_util::{BodyExt as _, Full};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde_json::Value;

use crate::script::{Part, Step, Word};

/// The address the README's commands use for the gateway.
const README_GATEWAY: &str = "http://127.0.0.1:8080";

/// How long one call may take, a stream included.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Variables, a token minter and an HTTP client.
pub struct Shell<M> {
    vars: HashMap<String, String>,
    gateway: String,
    mint: M,
    http: Client<HttpConnector, Full<Bytes>>,
}

/// What `curl` answered.
struct Answer {
    /// `METHOD URL` as the README writes it, for messages.
    call: String,
    status: http::StatusCode,
    body: String,
}

impl Answer {
    /// The body, cut short for a message.
    fn shown(&self) -> String {
        const MAX: usize = 800;
        match self.body.char_indices().nth(MAX) {
            Some((at, _)) => format!("{}...", &self.body[..at]),
            None => self.body.clone(),
        }
    }
}

impl<M: Fn(Role, &str, Option<&str>) -> String> Shell<M> {
    /// A shell whose `http://127.0.0.1:8080` is `gateway`.
    pub fn new(gateway: String, mint: M) -> Self {
        Self { vars: HashMap::new(), gateway, mint, http: Client::builder(TokioExecutor::new()).build_http() }
    }

    /// Runs one step: its assignments, then its pipeline, whose answer (a `curl` at the
    /// top level) must be a success containing every `# →` fragment.
    pub async fn step(&mut self, step: &Step) -> Result<(), String> {
        for (name, word) in &step.assignments {
            let value = self.expand(word).await?;
            self.vars.insert(name.clone(), value);
        }
        if step.pipeline.is_empty() {
            return Ok(());
        }
        let expect = step.expect.iter().map(|e| fragments(e)).collect::<Result<Vec<_>, _>>()?.concat();
        let [command] = step.pipeline.as_slice() else {
            return Err("a pipeline at the top level shows nothing to check; assign it to a variable".to_owned());
        };
        let args = self.args(command).await?;
        if args.first().map(String::as_str) != Some("curl") {
            return Err(format!("only curl is run at the top level, not {args:?}"));
        }
        let answer = self.curl(&args[1..], &expect).await?;
        if !answer.status.is_success() {
            return Err(format!("{} answered {}: {}", answer.call, answer.status, answer.shown()));
        }
        let values = json_values(&answer.body)?;
        for (key, value) in &expect {
            if !values.iter().any(|v| contains(v, key, value.as_ref())) {
                let want = value.as_ref().map_or_else(|| format!("{key:?}"), |v| format!("{key:?}: {v}"));
                return Err(format!("the answer to {} has no {want}: {}", answer.call, answer.shown()));
            }
        }
        Ok(())
    }

    async fn args(&mut self, command: &[Word]) -> Result<Vec<String>, String> {
        let mut args = Vec::with_capacity(command.len());
        for word in command {
            args.push(self.expand(word).await?);
        }
        Ok(args)
    }

    async fn expand(&mut self, word: &Word) -> Result<String, String> {
        let mut text = String::new();
        for part in word {
            match part {
                Part::Lit(lit) => text.push_str(lit),
                Part::Var(name) => {
                    text.push_str(self.vars.get(name).ok_or_else(|| format!("${name} is not set at this point"))?)
                }
                Part::Subst(pipeline) => {
                    let out = Box::pin(self.pipeline(pipeline)).await?;
                    text.push_str(out.trim_end_matches('\n'));
                }
            }
        }
        Ok(text)
    }

    /// The output of a pipeline in `$(...)`.
    async fn pipeline(&mut self, pipeline: &[Vec<Word>]) -> Result<String, String> {
        let mut out: Option<String> = None;
        for command in pipeline {
            let args = self.args(command).await?;
            let words: Vec<&str> = args.iter().map(String::as_str).collect();
            out = Some(match (words.as_slice(), out) {
                (["cargo", "run", cargo @ ..], None) => {
                    let at = cargo.iter().position(|w| *w == "--").ok_or("cargo run without `--`")?;
                    match (&cargo[..at], &cargo[at + 1..]) {
                        (options, ["token", flags @ ..]) if options.windows(2).any(|w| w == ["-p", "crm"]) => {
                            self.token(flags)?
                        }
                        _ => return Err(format!("this test runs only `cargo run ... -p crm -- token`, not {args:?}")),
                    }
                }
                (["curl", rest @ ..], None) => {
                    let answer = self.curl(&args[1..=rest.len()], &[]).await?;
                    if !answer.status.is_success() {
                        return Err(format!("{} answered {}: {}", answer.call, answer.status, answer.shown()));
                    }
                    answer.body
                }
                (["grep", "-o", pattern], Some(input)) => {
                    let re = regex::Regex::new(pattern).map_err(|err| format!("grep pattern {pattern:?}: {err}"))?;
                    re.find_iter(&input).map(|m| format!("{}\n", m.as_str())).collect()
                }
                (["head", "-n1" | "-1"] | ["head", "-n", "1"], Some(input)) => {
                    input.lines().next().map(|l| format!("{l}\n")).unwrap_or_default()
                }
                (other, _) => return Err(format!("this test cannot run {other:?}")),
            });
        }
        out.ok_or_else(|| "an empty $(...)".to_owned())
    }

    /// `crm token --role R --subject S [--portfolio P] [--data-dir D] [--ttl-hours H]`.
    fn token(&self, flags: &[&str]) -> Result<String, String> {
        let (mut role, mut subject, mut portfolio) = (None, None, None);
        for pair in flags.chunks(2) {
            match pair {
                ["--role", r] => role = Some(r.parse::<Role>().map_err(|err| err.to_string())?),
                ["--subject", s] => subject = Some(*s),
                ["--portfolio", p] => portfolio = Some(*p),
                ["--data-dir" | "--ttl-hours", _] => {}
                other => return Err(format!("crm token does not take {other:?}")),
            }
        }
        match (role, subject) {
            (Some(role), Some(subject)) => Ok((self.mint)(role, subject, portfolio)),
            _ => Err("crm token needs --role and --subject".to_owned()),
        }
    }

    /// `curl [-s] [-S] [-N] [-H h]... [-X m] [-d body] URL`, as curl sends it (`-d` is a POST
    /// with a form content type unless `-X` and `-H` say otherwise). With `-N` the answer is
    /// read until every expected fragment has been seen in its lines.
    async fn curl(&self, args: &[String], expect: &[(String, Option<Value>)]) -> Result<Answer, String> {
        let (mut method, mut headers, mut body, mut url, mut stream) = (None, Vec::new(), None, None, false);
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().cloned().ok_or_else(|| format!("curl {arg} needs a value"));
            match arg.as_str() {
                "-H" => headers.push(value()?),
                "-X" => method = Some(value()?),
                "-d" | "--data" => body = Some(value()?),
                flag if flag.starts_with('-') && flag.len() > 1 && flag[1..].chars().all(|c| "sSN".contains(c)) => {
                    stream |= flag.contains('N');
                }
                flag if flag.starts_with('-') => return Err(format!("this test does not know curl {flag}")),
                _ if url.is_some() => return Err(format!("curl with two URLs: {arg}")),
                _ => url = Some(arg.clone()),
            }
        }
        let written = url.ok_or("curl without a URL")?;
        let url = written.replacen(README_GATEWAY, &self.gateway, 1);
        if !url.starts_with(&self.gateway) {
            return Err(format!("{url} is not the gateway's ({README_GATEWAY})"));
        }
        let method = method.unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.to_owned());
        let mut request = http::Request::builder().method(method.as_str()).uri(&url);
        if body.is_some() && !headers.iter().any(|h| h.to_ascii_lowercase().starts_with("content-type:")) {
            request = request.header("content-type", "application/x-www-form-urlencoded");
        }
        for header in &headers {
            let (name, value) = header.split_once(':').ok_or_else(|| format!("header {header:?} has no ':'"))?;
            request = request.header(name.trim(), value.trim());
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|err| format!("{method} {url}: {err}"))?;
        let call = async {
            let response = self.http.request(request).await.map_err(|err| format!("{method} {url}: {err}"))?;
            let status = response.status();
            let mut body = response.into_body();
            let mut text = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|err| format!("{method} {url}: {err}"))?;
                text.extend_from_slice(frame.data_ref().map_or(&[][..], |d| &d[..]));
                if stream && status.is_success() && seen_all(&text, expect) {
                    break;
                }
            }
            let call = format!("{method} {written}");
            Ok(Answer { call, status, body: String::from_utf8_lossy(&text).into_owned() })
        };
        tokio::time::timeout(CALL_TIMEOUT, call)
            .await
            .map_err(|_| format!("{method} {url}: no complete answer within {CALL_TIMEOUT:?}"))?
    }
}

/// Whether the complete lines of a stream so far hold every fragment.
fn seen_all(text: &[u8], expect: &[(String, Option<Value>)]) -> bool {
    let text = String::from_utf8_lossy(text);
    let Some((complete, _)) = text.rsplit_once('\n') else { return false };
    let Ok(values) = json_values(complete) else { return false };
    expect.iter().all(|(key, value)| values.iter().any(|v| contains(v, key, value.as_ref())))
}

/// The JSON of an answer: one document, or one per line (a stream).
fn json_values(body: &str) -> Result<Vec<Value>, String> {
    if let Ok(value) = serde_json::from_str(body) {
        return Ok(vec![value]);
    }
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|err| format!("not JSON ({err}): {l}")))
        .collect()
}

/// The fragments of a `# →` line: `"key": value` (that key with that value somewhere in
/// the answer) or `"key"` (that key somewhere), separated by commas.
fn fragments(line: &str) -> Result<Vec<(String, Option<Value>)>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut escaped, mut start) = (0i32, false, false, 0);
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '{' | '[' if !quoted => depth += 1,
            '}' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&line[start..]);
    parts
        .into_iter()
        .map(|part| {
            let wrapped = format!("{{{part}}}");
            if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&wrapped)
                && let Some((key, value)) = map.into_iter().next()
            {
                return Ok((key, Some(value)));
            }
            serde_json::from_str::<String>(part.trim())
                .map(|key| (key, None))
                .map_err(|_| format!("`# →` fragment {part:?} is neither \"key\": value nor \"key\""))
        })
        .collect()
}

/// Whether `value` holds, at any depth, an object with `key` (and, if given, that value).
fn contains(value: &Value, key: &str, want: Option<&Value>) -> bool {
    match value {
        Value::Object(map) => {
            map.get(key).is_some_and(|v| want.is_none_or(|w| w == v)) || map.values().any(|v| contains(v, key, want))
        }
        Value::Array(items) => items.iter().any(|v| contains(v, key, want)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fragments_are_keys_with_or_without_values() {
        let parsed = fragments(r#""tier": "TIER_KEY_ACCOUNT", "raroc", "a": {"b": [1, 2]}"#).expect("parses");
        assert_eq!(parsed[0], ("tier".to_owned(), Some(json!("TIER_KEY_ACCOUNT"))));
        assert_eq!(parsed[1], ("raroc".to_owned(), None));
        assert_eq!(parsed[2], ("a".to_owned(), Some(json!({"b": [1, 2]}))));
        let answer = json!({"score": {"tier": "TIER_KEY_ACCOUNT", "raroc": 0.2}});
        assert!(contains(&answer, "tier", Some(&json!("TIER_KEY_ACCOUNT"))));
        assert!(!contains(&answer, "tier", Some(&json!("TIER_GROW"))));
        assert!(contains(&answer, "raroc", None));
        assert!(!contains(&answer, "eva", None));
    }
}
