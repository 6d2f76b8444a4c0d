use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = qm::cli::Cli::parse();
    match qm::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A closed pipe (`qm sql ... | head`) is not a failure, whichever layer reports it.
            if err.chain().any(|c| {
                let io = c.downcast_ref::<std::io::Error>().or_else(|| match c.downcast_ref::<qm::output::OutputError>() {
                    Some(qm::output::OutputError::Io(e)) => Some(e),
                    _ => None,
                });
                io.is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            let mut msg = format!("error: {err}");
            for cause in err.chain().skip(1) {
                msg.push_str(&format!(": {cause}"));
            }
            let _ = writeln!(std::io::stderr(), "{msg}");
            ExitCode::FAILURE
        }
    }
}
