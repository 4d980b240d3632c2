//! The `ascend-kernels` command line: run one op on tensors in a safetensors file (and, with
//! later features, run a Qwen3 forward, convert checkpoints, emit kernels).

mod convert;
mod emit;
mod op;
mod progress;
mod qwen3;
mod tune;
mod verify;

use ascend_kernels::budget::{parse_size, Budget};
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// FP8 / MXFP8 kernels for Qwen3-class models on Ascend NPUs.
#[derive(Parser, Debug)]
#[command(name = "ascend-kernels", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Memory one command may hold at once (bytes, or with K/M/G/T, e.g. 8G) [default: three
    /// quarters of the machine's memory]. An input that needs more is refused before any work.
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<u64>,
    /// Largest single buffer (bytes, or with K/M/G/T) [default: half of the machine's memory,
    /// and at most --max-memory].
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    max_allocation: Option<u64>,
}

impl Cli {
    /// The budget the options ask for (the machine default where not given).
    pub fn budget(&self) -> Budget {
        let default = Budget::for_machine();
        let working_set = self.max_memory.unwrap_or(default.max_working_set);
        let allocation = self
            .max_allocation
            .unwrap_or(default.max_allocation)
            .min(working_set);
        Budget::new(allocation, working_set)
    }
}

impl Cli {
    /// Checks the options that need no file (values, combinations, backends), as the commands
    /// do before any work; what the `cli` fuzz target runs after a successful parse.
    pub fn check_options(&self) -> ascend_kernels::Result<()> {
        match &self.command {
            Command::Op(a) => a.check(),
            Command::Qwen3(a) => a.check(),
            Command::Verify(a) => a.check(),
            Command::Convert(_) | Command::Emit(_) | Command::Tune(_) => Ok(()),
        }
    }
}

/// Parses the command line; an error (or a request for help or the version, whose text is the
/// `Err`'s, with `true`) comes back as text. Every error is one line naming the argument and,
/// where the parser knows them, the values it accepts.
pub fn parse<I, T>(args: I) -> Result<Cli, (String, bool)>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let e = match Cli::try_parse_from(args) {
        Ok(cli) => return Ok(cli),
        Err(e) => e,
    };
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        return Err((e.render().to_string(), true));
    }
    let context = |kind: ContextKind| -> Option<String> {
        match e.get(kind)? {
            ContextValue::String(s) => Some(s.clone()),
            ContextValue::Strings(v) => Some(v.join(", ")),
            ContextValue::StyledStr(s) => Some(s.to_string()),
            ContextValue::StyledStrs(v) => Some(
                v.iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ContextValue::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let commands = "op, verify, qwen3, convert, emit, tune";
    let line = match e.kind() {
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            format!("missing command (one of {commands}; see --help)")
        }
        ErrorKind::InvalidSubcommand => format!(
            "unknown command '{}' (expected one of {commands}){}",
            context(ContextKind::InvalidSubcommand).unwrap_or_default(),
            context(ContextKind::SuggestedSubcommand)
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default()
        ),
        ErrorKind::UnknownArgument => format!(
            "unknown option '{}'{} (see --help for the options of the command)",
            context(ContextKind::InvalidArg).unwrap_or_default(),
            context(ContextKind::SuggestedArg)
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default()
        ),
        ErrorKind::MissingRequiredArgument => format!(
            "missing required argument: {} (see --help)",
            context(ContextKind::InvalidArg).unwrap_or_default()
        ),
        _ => {
            // clap's own text, its lines joined: the first names the argument and the
            // problem, later ones the accepted values; usage and tips are dropped.
            let text = e.render().to_string();
            let mut parts: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .filter(|l| !l.starts_with("tip:"))
                .collect();
            if let Some(first) = parts.first_mut() {
                *first = first.strip_prefix("error: ").unwrap_or(first);
            }
            let mut line = parts.join(" ");
            if let Some(valid) = context(ContextKind::ValidValue) {
                if !line.contains("possible values") {
                    line.push_str(&format!(" (allowed: {valid})"));
                }
            }
            line
        }
    };
    // Whatever the parser's text held, one line.
    let line: String = line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Err((line, false))
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one op on the tensors of a safetensors file and write its outputs to another.
    Op(op::OpArgs),
    /// Run every golden fixture (independent references: torchao, torch, transformers) through
    /// the library and report agreement.
    Verify(verify::VerifyArgs),
    /// Run a Qwen3 checkpoint (bf16, FP8-block or MXFP8) through the library's ops; without
    /// --model and a prompt, the end-to-end proof on the embedded tiny checkpoints.
    Qwen3(qwen3::Qwen3Args),
    /// Convert a checkpoint: FP8-block or MXFP8 to bf16, bf16 or FP8-block to MXFP8
    /// (msmodelslim layout).
    Convert(convert::ConvertArgs),
    /// Write the generated AscendC kernels of a target with a CMake project for CANN.
    Emit(emit::EmitArgs),
    /// Sweep the generated kernel variants on the sim over Qwen3 shapes and cost them from the
    /// sim's counters against each target's roofline (modelled, not measured).
    Tune(tune::TuneArgs),
}

fn main() -> ExitCode {
    let cli = match parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err((text, true)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err((line, false)) => {
            eprintln!("error: {line}");
            return ExitCode::from(2);
        }
    };
    Budget::set_global(cli.budget());
    let result = match cli.command {
        Command::Op(args) => op::run(&args),
        Command::Verify(args) => match verify::run(&args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
        Command::Emit(args) => emit::run(&args),
        Command::Convert(args) => convert::run(&args),
        Command::Tune(args) => tune::run(&args),
        Command::Qwen3(args) => match qwen3::run(&args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
    };
    progress::clear();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: messages that quote input (file names, JSON) keep no line breaks.
            let line: String = e
                .to_string()
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            eprintln!("error: {line}");
            ExitCode::from(2)
        }
    }
}
