//! [native only] The `bedside` command line: argument parsing and printing around the core.
//! Nothing clinical is computed here.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::bundle::{payload_sha256, Bundle};
use crate::schema::Text;
use crate::train::{self, TrainInput};

/// Bedside: train model bundles, assess patients, serve the app.
#[derive(Debug, Parser)]
#[command(name = "bedside", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a model from a CSV and its schema and write a bundle.
    Train {
        /// Training data (CSV with a header row).
        #[arg(long)]
        data: PathBuf,
        /// Schema file (TOML).
        #[arg(long)]
        schema: PathBuf,
        /// Where to write the bundle (.bdsx). The directory's index.json is updated.
        #[arg(long)]
        out: PathBuf,
        /// Separate test CSV; defaults to the schema's `split.test_data`, else a hold-out.
        #[arg(long)]
        test: Option<PathBuf>,
        /// L2 regularisation strength of the logistic regression.
        #[arg(long, default_value_t = 1.0)]
        alpha: f64,
    },
    /// Assess one patient (JSON object of field → value) and print the result as JSON.
    Assess {
        /// Model bundle.
        #[arg(long)]
        bundle: PathBuf,
        /// Patient JSON file, or `-` for standard input.
        #[arg(long)]
        patient: PathBuf,
    },
    /// Print a bundle's schema, model, metrics and provenance as JSON.
    Inspect {
        /// Model bundle.
        #[arg(long)]
        bundle: PathBuf,
    },
    /// Serve the app on 127.0.0.1 (www/, pkg/ and static/ only).
    Serve {
        /// Repository root holding www/, pkg/, static/.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Port; 0 picks a free one.
        #[arg(long, default_value_t = 8000)]
        port: u16,
    },
}

/// Run the CLI; the binary prints the error and sets the exit code.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train {
            data,
            schema,
            out,
            test,
            alpha,
        } => cmd_train(&data, &schema, &out, test.as_deref(), alpha),
        Command::Assess { bundle, patient } => {
            let bundle = load_bundle(&bundle)?;
            let text = if patient == Path::new("-") {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading patient from stdin")?;
                s
            } else {
                read_text(&patient)?
            };
            let assessment = crate::assess::assess_text(&bundle, &text)?;
            println!("{}", serde_json::to_string_pretty(&assessment)?);
            Ok(())
        }
        Command::Inspect { bundle: path } => {
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let bundle = Bundle::from_bytes(&bytes).with_context(|| path.display().to_string())?;
            #[derive(Serialize)]
            struct Inspect<'a> {
                file: String,
                bytes: usize,
                payload_sha256: String,
                model: &'static str,
                schema: &'a crate::schema::Schema,
                metrics: &'a crate::metrics::Metrics,
                training: &'a crate::bundle::TrainingInfo,
            }
            let view = Inspect {
                file: path.display().to_string(),
                bytes: bytes.len(),
                payload_sha256: payload_sha256(&bytes)?,
                model: bundle.model.family(),
                schema: &bundle.schema,
                metrics: &bundle.metrics,
                training: &bundle.training,
            };
            println!("{}", serde_json::to_string_pretty(&view)?);
            Ok(())
        }
        Command::Serve { root, port } => crate::serve::serve(&root, "127.0.0.1", port),
    }
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| anyhow!("{} is not UTF-8 text", path.display()))
}

fn load_bundle(path: &Path) -> anyhow::Result<Bundle> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Bundle::from_bytes(&bytes).with_context(|| path.display().to_string())
}

fn cmd_train(
    data: &Path,
    schema_path: &Path,
    out: &Path,
    test: Option<&Path>,
    alpha: f64,
) -> anyhow::Result<()> {
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(anyhow!("--alpha must be a finite number ≥ 0, got {alpha}"));
    }
    let schema = crate::schema::Schema::from_toml(&read_text(schema_path)?)
        .with_context(|| schema_path.display().to_string())?;
    let data_text = read_text(data)?;
    let test_path = test.map(Path::to_path_buf).or_else(|| {
        let rel = schema.split.test_data.as_ref()?;
        Some(schema_path.parent().unwrap_or(Path::new(".")).join(rel))
    });
    let test_text = test_path.as_deref().map(read_text).transpose()?;
    let test_name = test_path
        .as_deref()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let input = TrainInput {
        schema: &schema,
        data: &data_text,
        test: test_text.as_deref().map(|t| (t, test_name.as_str())),
        alpha,
    };

    let bar = ProgressBar::with_draw_target(
        Some(train::STAGES.len() as u64),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg}")
            .map_err(|e| anyhow!(e))?
            .progress_chars("=> "),
    );
    bar.set_prefix(schema.id.clone());
    let trained = train::train(&input, &mut |stage| {
        bar.set_position(stage as u64);
        bar.set_message(train::STAGES.get(stage).copied().unwrap_or(""));
    })
    .with_context(|| format!("training {}", schema.id))?;
    bar.finish_and_clear();

    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(out, &trained.bytes).with_context(|| format!("writing {}", out.display()))?;
    let m = &trained.bundle.metrics;
    let t = &trained.bundle.training;
    println!(
        "{}: {} on {} training cases; test ({}, n={}): accuracy {:.3}, precision {:.3}, recall {:.3}, F1 {:.3}, AUC {:.3}",
        schema.id,
        trained.bundle.model.family(),
        t.n_train,
        t.test_source,
        t.n_test,
        m.accuracy,
        m.precision,
        m.recall,
        m.f1,
        m.auc
    );
    println!("wrote {} ({} bytes)", out.display(), trained.bytes.len());
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    write_index(dir)?;
    Ok(())
}

/// One entry of `index.json`: the bundles the app offers.
#[derive(Debug, Serialize)]
struct IndexEntry {
    file: String,
    id: String,
    title: Text,
}

/// Rewrite `dir/index.json` from the valid bundles in `dir`, sorted by file name.
fn write_index(dir: &Path) -> anyhow::Result<()> {
    let mut entries = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "bdsx"))
        .collect();
    names.sort();
    for path in names {
        match std::fs::read(&path)
            .map_err(anyhow::Error::from)
            .and_then(|b| Ok(Bundle::from_bytes(&b)?))
        {
            Ok(b) => entries.push(IndexEntry {
                file: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                id: b.schema.id.clone(),
                title: b.schema.title.clone(),
            }),
            Err(e) => eprintln!("warning: leaving {} out of index.json: {e}", path.display()),
        }
    }
    let index = dir.join("index.json");
    std::fs::write(&index, serde_json::to_string_pretty(&entries)? + "\n")
        .with_context(|| format!("writing {}", index.display()))?;
    Ok(())
}
