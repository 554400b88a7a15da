//! [native only] The `bedside` command line: argument parsing and printing around the core.
//! Nothing clinical is computed here.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::bundle::format::payload_sha256;
use crate::bundle::Bundle;
use crate::contract::schema::Text;
use crate::train::{self, TrainInput};

mod io;
mod validate;

use io::{load_bundle, now_utc, read_text, today_utc};

/// Bedside: train model bundles, assess patients, serve the app.
#[derive(Debug, Parser)]
#[command(name = "bedside", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Draft a schema from a CSV: each column's kind, levels, missing-value codes and a
    /// plausible range widened from the data, IDs and constant columns left out. Says what it
    /// decided for every column and why (on stderr); `train` accepts the file as it is, and a
    /// person finishes it (labels, 中文, units, ranges: the TODOs).
    Init {
        /// The CSV (header row, one row per patient).
        #[arg(long)]
        data: PathBuf,
        /// The outcome column.
        #[arg(long)]
        target: String,
        /// The positive class; default: 1/yes/true/positive/present if one is a class, else
        /// the least frequent class.
        #[arg(long, allow_hyphen_values = true)]
        positive: Option<String>,
        /// A code that means "missing" in any column (repeat for more), e.g. `--na -9`.
        #[arg(long, allow_hyphen_values = true)]
        na: Vec<String>,
        /// A column to read as categories whatever its values look like (repeat for more).
        #[arg(long)]
        categorical: Vec<String>,
        /// A column to leave out (repeat for more).
        #[arg(long)]
        drop: Vec<String>,
        /// Where to write the schema (e.g. `data/NAME.schema.toml`; its id is NAME).
        #[arg(long)]
        out: PathBuf,
        /// Overwrite --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Train a model from a CSV and its schema and write a bundle; or, with --equation, build
    /// the bundle of a published risk equation (nothing is fitted).
    Train {
        /// Training data (CSV with a header row). Not with --equation.
        #[arg(
            long,
            required_unless_present = "equation",
            conflicts_with = "equation"
        )]
        data: Option<PathBuf>,
        /// A published equation (TOML: transforms, coefficients with their table, link, valid
        /// ranges, model card), checked against the schema.
        #[arg(long)]
        equation: Option<PathBuf>,
        /// Schema file (TOML).
        #[arg(long)]
        schema: PathBuf,
        /// Where to write the bundle (.bdsx). The directory's index.json is updated.
        #[arg(long)]
        out: PathBuf,
        /// Separate test CSV; defaults to the schema's `split.test_data`, else a hold-out.
        #[arg(long)]
        test: Option<PathBuf>,
        /// Cross-validation folds for model selection and calibration.
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Restrict the candidates to these families (comma-separated: logistic, naive-bayes,
        /// forest, knn). Default: all.
        #[arg(long, value_delimiter = ',')]
        models: Vec<String>,
        /// Guideline rules (TOML). Default: `<id>.rules.toml` beside the schema, if present.
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Write the exact train/test split `train` would use, as two CSVs (for comparisons with
    /// other tools on identical data).
    Split {
        /// Training data (CSV with a header row).
        #[arg(long)]
        data: PathBuf,
        /// Schema file (TOML).
        #[arg(long)]
        schema: PathBuf,
        /// Directory for train.csv and test.csv.
        #[arg(long)]
        out: PathBuf,
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
    /// Treatment suggestions for a patient (the schema's fields plus answers to the rules'
    /// questions) as JSON: ranked options, modelled risk per arm, case evidence, rules.
    Suggest {
        /// Model bundle.
        #[arg(long)]
        bundle: PathBuf,
        /// Patient JSON file, or `-` for standard input.
        #[arg(long)]
        patient: PathBuf,
    },
    /// Map a FHIR R4 Bundle (Patient + Observations, LOINC/UCUM) onto a bundle's features and
    /// print JSON: the patient as the model takes it, what was used from where, and what was
    /// not and why.
    FhirImport {
        /// Model bundle.
        #[arg(long)]
        bundle: PathBuf,
        /// FHIR JSON file (Bundle, Patient or Observation), or `-` for standard input.
        #[arg(long)]
        fhir: PathBuf,
        /// The day ages are taken on (YYYY-MM-DD); today if not given.
        #[arg(long)]
        today: Option<String>,
    },
    /// Assess a patient and print the result as a FHIR R4 RiskAssessment (JSON).
    RiskAssessment {
        /// Model bundle.
        #[arg(long)]
        bundle: PathBuf,
        /// Patient JSON file, or `-` for standard input.
        #[arg(long)]
        patient: PathBuf,
        /// The subject, e.g. `Patient/123` (otherwise named only in words).
        #[arg(long)]
        subject: Option<String>,
        /// References the assessment is based on besides the bundle, e.g. `Observation/abc`.
        #[arg(long)]
        basis: Vec<String>,
        /// When it was made (ISO 8601 date-time); now if not given.
        #[arg(long)]
        when: Option<String>,
    },
    /// Find the past cases most similar to a patient and print them as JSON.
    Similar {
        /// Model bundle (its training cases are the library unless --library is given).
        #[arg(long)]
        bundle: PathBuf,
        /// Patient JSON file, or `-` for standard input.
        #[arg(long)]
        patient: PathBuf,
        /// A case library CSV (the bundle's schema columns and its target column).
        #[arg(long)]
        library: Option<PathBuf>,
        /// Number of neighbours (1–100).
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Weight features by their relevance to the model.
        #[arg(long)]
        weighted: bool,
    },
    /// Score every row of a CSV (the schema's feature columns; no outcome needed): the
    /// calibrated probability of each class, the top class, imputed fields and flags, one line
    /// per row; refused rows are listed with row, column and reason.
    Predict {
        /// Model bundle.
        #[arg(long)]
        bundle: PathBuf,
        /// The CSV to score (header row; the schema's column names).
        #[arg(long)]
        data: PathBuf,
        /// Where to write the scores (CSV); standard output if not given.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate a bundle on your own labelled patients (the schema's columns and its outcome
    /// column): AUC with its interval, calibration intercept and slope, calibration curve, net
    /// benefit, subgroups and drift from the training data. Nothing leaves this machine.
    Evaluate {
        /// Model bundle.
        #[arg(long)]
        bundle: PathBuf,
        /// Labelled CSV (header row; the schema's columns and its outcome column).
        #[arg(long)]
        data: PathBuf,
        /// Print JSON instead of the readable report.
        #[arg(long)]
        json: bool,
    },
    /// Write a new bundle whose probabilities are recalibrated to your labelled patients
    /// (logistic recalibration: the ranking is kept), with the validation before and after on
    /// its model card.
    Recalibrate {
        /// Model bundle.
        #[arg(long)]
        bundle: PathBuf,
        /// Labelled CSV (as for `evaluate`).
        #[arg(long)]
        data: PathBuf,
        /// Where to write the new bundle.
        #[arg(long)]
        out: PathBuf,
        /// Sign the new bundle with this secret key (from `bedside keygen`); unsigned otherwise.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Who validated it, for the model card (the site or team).
        #[arg(long, default_value = "local site")]
        site: String,
        /// The period the data cover, for the model card (e.g. "2024-01 to 2025-06").
        #[arg(long)]
        period: Option<String>,
    },
    /// Print a bundle's model card (Markdown), or everything as JSON with --json.
    Inspect {
        /// Model bundle.
        #[arg(long)]
        bundle: PathBuf,
        /// Print schema, model card, metrics and provenance as JSON instead.
        #[arg(long)]
        json: bool,
        /// Language of the Markdown card: en or zh.
        #[arg(long, default_value = "en")]
        lang: String,
    },
    /// Make an Ed25519 key pair for signing bundles: `<out>.key` (secret, keep it offline) and
    /// `<out>.pub` (the public key pages trust).
    Keygen {
        /// Path without extension, e.g. `keys/release`.
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign bundles in place with a secret key (a previous signature is replaced).
    Sign {
        /// Secret key file from `bedside keygen`.
        #[arg(long)]
        key: PathBuf,
        /// Bundles to sign.
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
    },
    /// Check bundles as a page would: header, signature by a trusted key, hash, decoding.
    /// Exits non-zero when any is refused, and says which and why.
    Verify {
        /// Trusted public keys: hex, or files of hex keys (one per line).
        #[arg(long = "trusted", required = true)]
        trusted: Vec<String>,
        /// require: only signed by a trusted key; warn: unsigned and unknown signers pass with a
        /// warning; off: signatures are not checked.
        #[arg(long, default_value = "require")]
        policy: String,
        /// Bundles to check.
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
    },
    /// Serve the app on 127.0.0.1 (www/, pkg/ and static/ only).
    Serve {
        /// Repository root holding www/, pkg/, static/.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Port; 0 picks a free one.
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// The SMART launch configuration (default: static/smart.json under the root, if any):
        /// served to the launch page, whose Content-Security-Policy opens to its servers.
        #[arg(long)]
        smart: Option<PathBuf>,
    },
    /// Print the launch page's Content-Security-Policy for a SMART configuration (for a
    /// static host's header and the page's meta tag).
    SmartCsp {
        /// The configuration (static/smart.json).
        #[arg(long)]
        smart: PathBuf,
    },
}

/// Run the CLI; the binary prints the error and sets the exit code.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init {
            data,
            target,
            positive,
            na,
            categorical,
            drop,
            out,
            force,
        } => cmd_init(
            &data,
            &out,
            force,
            train::draft::DraftOptions {
                id: String::new(),
                data_name: String::new(),
                target,
                positive,
                na,
                categorical,
                drop,
            },
        ),
        Command::Train {
            equation: Some(equation),
            schema,
            out,
            rules,
            ..
        } => cmd_equation(&equation, &schema, &out, rules.as_deref()),
        Command::Train {
            data,
            schema,
            out,
            test,
            folds,
            models,
            rules,
            ..
        } => cmd_train(
            data.as_deref()
                .ok_or_else(|| anyhow!("--data is required (or --equation)"))?,
            &schema,
            &out,
            test.as_deref(),
            folds,
            &models,
            rules.as_deref(),
        ),
        Command::Split { data, schema, out } => {
            let schema_text = read_text(&schema)?;
            let s = crate::contract::schema::Schema::from_toml(&schema_text)
                .with_context(|| schema.display().to_string())?;
            let data_text = read_text(&data)?;
            let test_text = s
                .split
                .test_data
                .as_ref()
                .map(|rel| read_text(&schema.parent().unwrap_or(Path::new(".")).join(rel)))
                .transpose()?;
            let (train_csv, test_csv) = train::split_csv(&s, &data_text, test_text.as_deref())?;
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            std::fs::write(out.join("train.csv"), train_csv)?;
            std::fs::write(out.join("test.csv"), test_csv)?;
            println!("wrote {0}/train.csv and {0}/test.csv", out.display());
            Ok(())
        }
        Command::Predict { bundle, data, out } => validate::predict(&bundle, &data, out.as_deref()),
        Command::Evaluate { bundle, data, json } => validate::evaluate(&bundle, &data, json),
        Command::Recalibrate {
            bundle,
            data,
            out,
            key,
            site,
            period,
        } => validate::recalibrate(&validate::RecalibrateArgs {
            bundle: &bundle,
            data: &data,
            out: &out,
            key: key.as_deref(),
            site: &site,
            period: period.as_deref(),
        }),
        Command::Keygen { out } => {
            use crate::bundle::signature::native;
            let (seed, public) = native::keygen()?;
            let (secret_path, public_path) = (out.with_extension("key"), out.with_extension("pub"));
            if secret_path.exists() {
                return Err(anyhow!(
                    "{} exists; refusing to overwrite a signing key",
                    secret_path.display()
                ));
            }
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            write_secret(&secret_path, &native::secret_file(&seed))?;
            std::fs::write(
                &public_path,
                format!("{}\n", crate::util::hex::hex(&public)),
            )
            .with_context(|| format!("writing {}", public_path.display()))?;
            println!(
                "wrote {} (secret) and {} (public key {}…)",
                secret_path.display(),
                public_path.display(),
                crate::bundle::signature::key_id(&public)
            );
            Ok(())
        }
        Command::Sign { key, bundles } => {
            let key = crate::bundle::signature::native::read_secret(&read_text(&key)?)
                .with_context(|| key.display().to_string())?;
            for path in bundles {
                let bytes =
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                // Only a bundle this build can read is signed: a signature vouches for it.
                Bundle::from_bytes(&bytes).with_context(|| path.display().to_string())?;
                let signed = crate::bundle::signature::native::sign(&bytes, &key)
                    .with_context(|| path.display().to_string())?;
                std::fs::write(&path, signed)
                    .with_context(|| format!("writing {}", path.display()))?;
                println!(
                    "signed {} with key {}…",
                    path.display(),
                    crate::bundle::signature::key_id(&key.verifying_key().to_bytes())
                );
            }
            Ok(())
        }
        Command::Verify {
            trusted,
            policy,
            bundles,
        } => cmd_verify(&trusted, &policy, &bundles),
        Command::Assess { bundle, patient } => {
            let bundle = load_bundle(&bundle)?;
            let text = read_patient(&patient)?;
            let assessment = crate::clinical::assess::assess_text(&bundle, &text)?;
            println!("{}", serde_json::to_string_pretty(&assessment)?);
            Ok(())
        }
        Command::FhirImport {
            bundle,
            fhir,
            today,
        } => {
            let bundle = load_bundle(&bundle)?;
            let text = read_patient(&fhir)?;
            let today = match today {
                Some(t) => crate::interop::fhir::Date::parse(&t)
                    .ok_or_else(|| anyhow::anyhow!("--today {t}: expected YYYY-MM-DD"))?,
                None => today_utc(),
            };
            let schema = &bundle.schema;
            let out = crate::interop::fhir::import_text(schema, &text, today)?;
            let json =
                crate::present::fhir_report::report_json(schema, &out, crate::util::lang::Lang::En);
            println!("{}", serde_json::to_string_pretty(&json)?);
            Ok(())
        }
        Command::RiskAssessment {
            bundle: path,
            patient,
            subject,
            basis,
            when,
        } => {
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let bundle = Bundle::from_bytes(&bytes).with_context(|| path.display().to_string())?;
            let sha = crate::bundle::format::payload_sha256(&bytes)?;
            let text = read_patient(&patient)?;
            let assessment = crate::clinical::assess::assess_text(&bundle, &text)?;
            let when = when.unwrap_or_else(now_utc);
            let ra = crate::interop::fhir::risk_assessment(
                &bundle,
                &sha,
                &assessment,
                subject.as_deref(),
                &basis,
                &when,
            );
            println!("{}", serde_json::to_string_pretty(&ra)?);
            Ok(())
        }
        Command::Suggest { bundle, patient } => {
            let bundle = load_bundle(&bundle)?;
            let text = read_patient(&patient)?;
            let s = crate::clinical::treatment::suggest::suggest_text(&bundle, &text)?;
            println!("{}", serde_json::to_string_pretty(&s)?);
            Ok(())
        }
        Command::Similar {
            bundle,
            patient,
            library,
            k,
            weighted,
        } => {
            if !(1..=crate::cases::MAX_K).contains(&k) {
                return Err(anyhow!(
                    "--k {k}: expected 1 to {} neighbours",
                    crate::cases::MAX_K
                ));
            }
            let bundle = load_bundle(&bundle)?;
            let text = read_patient(&patient)?;
            let loaded;
            let library = match library {
                Some(path) => {
                    let name = path.display().to_string();
                    let (lib, bad) = crate::cases::CaseLibrary::from_csv(
                        &bundle.schema,
                        &bundle.preprocessor,
                        &bundle.metric.pca,
                        &name,
                        &read_text(&path)?,
                    )?;
                    for e in &bad {
                        eprintln!("{name}: skipped {e}");
                    }
                    loaded = lib;
                    &loaded
                }
                None => &bundle.cases,
            };
            let options = crate::cases::Options {
                k: Some(k),
                weighted,
                ..Default::default()
            };
            let similar = crate::clinical::assess::similar_text(&bundle, library, &text, &options)?;
            println!("{}", serde_json::to_string_pretty(&similar)?);
            Ok(())
        }
        Command::Inspect {
            bundle: path,
            json,
            lang,
        } => {
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let bundle = Bundle::from_bytes(&bytes).with_context(|| path.display().to_string())?;
            let sha256 = payload_sha256(&bytes)?;
            if json {
                #[derive(Serialize)]
                struct Layout {
                    /// Where the payload starts (after the header).
                    payload_offset: usize,
                    /// Its length.
                    payload_len: usize,
                    /// The signature block after it (0 when unsigned).
                    signature_len: usize,
                }
                #[derive(Serialize)]
                struct Inspect<'a> {
                    file: String,
                    bytes: usize,
                    /// Where the parts of the file lie (scripts read these, never hard-code them).
                    layout: Layout,
                    payload_sha256: String,
                    model: crate::model::fitted::Family,
                    calibration: &'a crate::model::calibrate::Calibration,
                    schema: &'a crate::contract::schema::Schema,
                    metrics: &'a crate::model::metrics::Metrics,
                    card: &'a crate::bundle::Evaluation,
                    training: &'a crate::bundle::TrainingInfo,
                    local: &'a [crate::bundle::LocalValidation],
                }
                let envelope = crate::bundle::signature::split(&bytes)?;
                let view = Inspect {
                    file: path.display().to_string(),
                    bytes: bytes.len(),
                    layout: Layout {
                        payload_offset: crate::bundle::format::HEADER_LEN,
                        payload_len: envelope
                            .bundle
                            .len()
                            .saturating_sub(crate::bundle::format::HEADER_LEN),
                        signature_len: bytes.len().saturating_sub(envelope.bundle.len()),
                    },
                    payload_sha256: sha256,
                    model: bundle.model.family(),
                    calibration: &bundle.calibration,
                    schema: &bundle.schema,
                    metrics: bundle.metrics(),
                    card: &bundle.evaluation,
                    training: &bundle.training,
                    local: &bundle.local,
                };
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                let lang = match lang.as_str() {
                    "en" => crate::util::lang::Lang::En,
                    "zh" | "zh-CN" => crate::util::lang::Lang::Zh,
                    other => return Err(anyhow!("--lang must be en or zh, got `{other}`")),
                };
                print!(
                    "{}",
                    crate::present::model_card::markdown(&bundle, &sha256, lang)
                );
            }
            Ok(())
        }
        Command::Serve { root, port, smart } => {
            crate::serve::serve(&root, "127.0.0.1", port, smart.as_deref())
        }
        Command::SmartCsp { smart } => {
            let text =
                std::fs::read_to_string(&smart).with_context(|| format!("{}", smart.display()))?;
            let config = crate::interop::smart::Config::from_json(&text)?;
            println!("{}", crate::interop::smart::launch_policy(Some(&config)));
            Ok(())
        }
    }
}

/// `init`: read the CSV, draft, print each decision (stderr), write the schema.
fn cmd_init(
    data: &Path,
    out: &Path,
    force: bool,
    mut opts: train::draft::DraftOptions,
) -> anyhow::Result<()> {
    if out.exists() && !force {
        return Err(anyhow!(
            "{} exists; pass --force to overwrite it",
            out.display()
        ));
    }
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    opts.id = train::draft::schema_id(&name(out));
    opts.data_name = name(data);
    let csv = read_text(data)?;
    let draft = io::working("reading the columns", || train::draft::draft(&csv, &opts))
        .with_context(|| data.display().to_string())?;
    for d in &draft.decisions {
        eprintln!("{d}");
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(out, &draft.toml).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {} (id `{}`); check its TODOs, then: bedside train --data {} --schema {} --out static/bundles/{}.bdsx",
        out.display(),
        opts.id,
        data.display(),
        out.display(),
        opts.id
    );
    Ok(())
}

/// A patient JSON file, or standard input for `-`.
fn read_patient(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading patient from stdin")?;
        Ok(s)
    } else {
        read_text(path)
    }
}

/// Write a secret key readable by its owner only (where the platform has such permissions).
fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

fn cmd_verify(trusted: &[String], policy: &str, bundles: &[PathBuf]) -> anyhow::Result<()> {
    use crate::bundle::signature::{native, Policy, Provenance, Trust};
    let mut keys = Vec::new();
    for t in trusted {
        let path = Path::new(t);
        let text = if path.is_file() {
            crate::bundle::signature::strip_comments(&read_text(path)?)
        } else {
            t.clone()
        };
        keys.extend(Trust::parse_keys(&text).with_context(|| format!("--trusted {t}"))?);
    }
    let trust = Trust {
        keys,
        policy: Policy::parse(policy)?,
    };
    let mut refused = 0;
    for path in bundles {
        let checked = std::fs::read(path)
            .with_context(|| format!("reading {}", path.display()))
            .and_then(|bytes| Ok(Bundle::open(&bytes, &trust, native::verify)?));
        match checked {
            Ok((_, provenance)) => {
                let how = match provenance {
                    Provenance::Verified(id) => format!("signed by trusted key {id}…"),
                    Provenance::Unsigned => "WARNING: not signed".into(),
                    Provenance::UnknownSigner(id) => {
                        format!("WARNING: signed by key {id}…, which is not trusted")
                    }
                    Provenance::NotChecked => "signature not checked (policy off)".into(),
                };
                println!("{}: ok, {how}", path.display());
            }
            Err(e) => {
                refused += 1;
                println!("{}: REFUSED: {e:#}", path.display());
            }
        }
    }
    if refused > 0 {
        return Err(anyhow!("{refused} of {} bundles refused", bundles.len()));
    }
    Ok(())
}

fn cmd_train(
    data: &Path,
    schema_path: &Path,
    out: &Path,
    test: Option<&Path>,
    folds: usize,
    models: &[String],
    rules: Option<&Path>,
) -> anyhow::Result<()> {
    if !(2..=20).contains(&folds) {
        return Err(anyhow!("--folds must be between 2 and 20, got {folds}"));
    }
    let schema = crate::contract::schema::Schema::from_toml(&read_text(schema_path)?)
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
    let rules_path = rules.map(Path::to_path_buf).or_else(|| {
        let beside = schema_path.with_file_name(format!("{}.rules.toml", schema.id));
        beside.is_file().then_some(beside)
    });
    let rules_text = rules_path.as_deref().map(read_text).transpose()?;
    let mut input = TrainInput::new(
        &schema,
        &data_text,
        test_text.as_deref().map(|t| (t, test_name.as_str())),
    );
    input.folds = folds;
    input.rules = rules_text.as_deref();
    if !models.is_empty() {
        let mut keep = Vec::new();
        for m in models {
            let family = match m.trim() {
                "logistic" => crate::model::fitted::Family::Logistic,
                "naive-bayes" => crate::model::fitted::Family::NaiveBayes,
                "forest" => crate::model::fitted::Family::Forest,
                "knn" => crate::model::fitted::Family::Knn,
                other => {
                    return Err(anyhow!(
                        "--models: `{other}` is not one of logistic, naive-bayes, forest, knn"
                    ));
                }
            };
            keep.push(family);
        }
        input.candidates.retain(|c| keep.contains(&c.family()));
    }

    let bar = ProgressBar::with_draw_target(Some(1), io::on_terminal());
    bar.set_style(
        ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {msg}")
            .map_err(|e| anyhow!(e))?
            .progress_chars("=> "),
    );
    bar.set_prefix(schema.id.clone());
    let trained = train::train(&input, &|done, total, what| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(what.to_string());
    })
    .with_context(|| format!("training {}", schema.id))?;
    bar.finish_and_clear();

    print!(
        "{}",
        crate::present::model_card::comparison_table(&trained.bundle)
    );
    write_bundle(out, &trained.bytes)
}

/// Write a new bundle to `out` (making its directory) and refresh that directory's index.
fn write_bundle(out: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {} ({} bytes)", out.display(), bytes.len());
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    write_index(dir)
}

/// `train --equation`: a published equation's bundle.
fn cmd_equation(
    equation: &Path,
    schema_path: &Path,
    out: &Path,
    rules: Option<&Path>,
) -> anyhow::Result<()> {
    let schema = crate::contract::schema::Schema::from_toml(&read_text(schema_path)?)
        .with_context(|| schema_path.display().to_string())?;
    let text = read_text(equation)?;
    let rules_path = rules.map(Path::to_path_buf).or_else(|| {
        let beside = schema_path.with_file_name(format!("{}.rules.toml", schema.id));
        beside.is_file().then_some(beside)
    });
    let rules_text = rules_path.as_deref().map(read_text).transpose()?;
    let built = train::equation::build(&schema, &text, rules_text.as_deref())
        .with_context(|| equation.display().to_string())?;
    if let crate::model::fitted::Model::Equation(e) = &built.bundle.model {
        println!(
            "{}: {} equation(s), {} transforms; {}",
            schema.id,
            e.strata.len(),
            e.transforms.len(),
            e.citation
        );
    }
    write_bundle(out, &built.bytes)
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
