//! Progress bars of the command line, and the log lines around them.
//!
//! Every bar is added to one [`MultiProgress`]; log lines go through [`LogWriter`], which
//! hides the bars while it writes a line and draws them again below it, so a log line never
//! lands in the middle of a bar. Bars are drawn on a terminal only (indicatif hides them
//! otherwise); rates are whole numbers of items per second; a finished bar leaves one
//! summary line.

use std::{
    io::Write as _,
    sync::OnceLock,
    time::{Duration, Instant},
};

use indicatif::{MultiProgress, ProgressBar, ProgressState, ProgressStyle};

/// The bars of this process.
pub fn bars() -> &'static MultiProgress {
    static BARS: OnceLock<MultiProgress> = OnceLock::new();
    BARS.get_or_init(MultiProgress::new)
}

/// Writes one log line on stderr with the bars out of the way.
pub struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        bars().suspend(|| std::io::stderr().lock().write_all(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// A bar of `len` items (0 while unknown), e.g. "scores and interactions".
pub fn bar(len: u64, what: &str, unit: &str) -> Bar {
    let bar = bars().add(ProgressBar::new(len));
    let template = format!("{{prefix:>24}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit} {{rate}} (eta {{eta}})");
    let style = ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.with_key("rate", rate).progress_chars("=> "));
    bar.set_prefix(what.to_owned());
    Bar { bar, what: what.to_owned(), unit: unit.to_owned(), started: Instant::now() }
}

/// A bar whose total is unknown: a spinner with the count and rate.
pub fn spinner(what: &str, unit: &str) -> Bar {
    let bar = bars().add(ProgressBar::new_spinner());
    let template = format!("{{spinner}} {{prefix}} [{{elapsed_precise}}] {{human_pos}} {unit} {{rate}}");
    let style = ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style.with_key("rate", rate));
    bar.set_prefix(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    Bar { bar, what: what.to_owned(), unit: unit.to_owned(), started: Instant::now() }
}

/// `1,234/s`: whole items per second.
fn rate(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = write!(w, "{}/s", thousands(state.per_sec().round() as u64));
}

/// `12345` as `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A bar and what its summary line says.
pub struct Bar {
    /// The bar itself.
    pub bar: ProgressBar,
    what: String,
    unit: String,
    started: Instant,
}

impl Bar {
    /// Clears the bar and prints one line: what was done, how many, how long, how fast.
    pub fn finish(self) {
        let done = self.bar.position();
        let seconds = self.started.elapsed().as_secs_f64();
        self.bar.finish_and_clear();
        let line = summary(&self.what, done, &self.unit, seconds);
        let _ = bars().suspend(|| writeln!(std::io::stderr().lock(), "{line}"));
    }
}

/// `scores and interactions: 10,000 clients in 12.3 s (812 clients/s)`.
pub fn summary(what: &str, done: u64, unit: &str, seconds: f64) -> String {
    let per_second = (done as f64 / seconds.max(0.001)).round() as u64;
    format!("{what}: {} {unit} in {seconds:.1} s ({} {unit}/s)", thousands(done), thousands(per_second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rates_are_whole_and_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(summary("seeding", 10_000, "clients", 12.34), "seeding: 10,000 clients in 12.3 s (810 clients/s)");
    }
}
