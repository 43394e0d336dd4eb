//! `hamafza bench linkage` and `hamafza bench match-one`: identity linkage on the
//! peers' person records (`../shared/bench/peers/gen_data.py persons`), with the same
//! outputs as the Splink harness so `scripts/bench-linkage.sh` can score both alike.
//! The answer columns (`cluster_id`, `corruptions`) are never read.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hamafza_core::linkage::dedupe::{self, Dedupe};
use hamafza_core::linkage::record::national_id_digits;
use hamafza_core::linkage::{Index, PersonFields};
use hamafza_core::people::Sex;
use serde_json::json;

use crate::Failure;

/// Columns read; anything else in the file (the answers) is ignored.
const COLUMNS: [&str; 8] = [
    "record_id",
    "first_name",
    "last_name",
    "father_name",
    "gender",
    "birth_year",
    "national_id",
    "nid",
];

/// Random pairs u is counted on.
const RANDOM_PAIRS: usize = 400_000;
const SEED: u64 = 20_261_202;

pub struct LinkageArgs {
    pub persons: PathBuf,
    pub threads: usize,
    pub threshold: f64,
    pub block_cap: usize,
    pub pairs_out: Option<PathBuf>,
    pub clusters_out: Option<PathBuf>,
}

/// Reads the persons CSV: record ids and fields, or the first row at fault.
pub fn read_persons(path: &Path) -> Result<(Vec<String>, Vec<PersonFields>), Failure> {
    let file =
        std::fs::File::open(path).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    let mut reader =
        csv::ReaderBuilder::new().from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let header = reader
        .byte_headers()
        .map_err(|e| Failure(format!("{}: header: {e}", path.display())))?
        .clone();
    if header.is_empty() {
        return Err(Failure(format!("{}: the file is empty", path.display())));
    }
    let mut at = [0usize; COLUMNS.len()];
    let mut missing = Vec::new();
    for (k, name) in COLUMNS.iter().enumerate() {
        match header.iter().position(|h| h == name.as_bytes()) {
            Some(i) => at[k] = i,
            None => missing.push(*name),
        }
    }
    if !missing.is_empty() {
        return Err(Failure(format!(
            "{}: columns missing from the header: {}",
            path.display(),
            missing.join(", ")
        )));
    }
    let mut ids = Vec::new();
    let mut people = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut row = 1;
    loop {
        row += 1;
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(Failure(format!("row {row}: {e}"))),
        }
        let field = |k: usize| -> Result<&str, Failure> {
            let bytes = record.get(at[k]).unwrap_or_default();
            std::str::from_utf8(bytes)
                .map(str::trim)
                .map_err(|_| Failure(format!("row {row}, column {}: not UTF-8 text", COLUMNS[k])))
        };
        let id = field(0)?;
        if id.is_empty() {
            return Err(Failure(format!("row {row}: record_id is empty")));
        }
        let birth_year = match field(5)? {
            "" => None,
            y => Some(y.parse::<i32>().map_err(|_| {
                Failure(format!("row {row}, column birth_year: «{y}» is not a year"))
            })?),
        };
        let national_id = field(6)?;
        if !national_id.is_empty() && national_id_digits(national_id).is_none() {
            return Err(Failure(format!(
                "row {row}, column national_id: «{national_id}» is not a national id (8–10 digits)"
            )));
        }
        let sex = match field(4)? {
            "M" | "m" | "male" | "مرد" => Some(Sex::Male),
            "F" | "f" | "female" | "زن" => Some(Sex::Female),
            _ => None,
        };
        let place = field(7)?;
        ids.push(id.to_string());
        people.push(PersonFields {
            given_name: field(1)?.to_string(),
            family_name: field(2)?.to_string(),
            father_name: field(3)?.to_string(),
            sex,
            birth_year,
            national_id: national_id.to_string(),
            neighbourhood: (!place.is_empty()).then(|| place.to_string()),
        });
    }
    if people.is_empty() {
        return Err(Failure(format!(
            "{}: no records after the header",
            path.display()
        )));
    }
    Ok((ids, people))
}

fn seconds(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 10_000.0).round() / 10_000.0
}

pub fn linkage(args: &LinkageArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let (ids, people) = read_persons(&args.persons)?;
    let set = Dedupe::prepare(&people);
    drop(people);
    let load_s = seconds(started);

    let t = Instant::now();
    let candidates = set.block(args.block_cap);
    let block_s = seconds(t);

    let t = Instant::now();
    let compared = set.compare(&candidates.pairs, args.threads);
    let compare_s = seconds(t);

    let t = Instant::now();
    let model = set.learn(&compared, args.block_cap, RANDOM_PAIRS, SEED);
    let train_s = seconds(t);

    let t = Instant::now();
    let probabilities = set.score(&model, &candidates.pairs, &compared, args.threads);
    let score_s = compare_s + seconds(t);

    let t = Instant::now();
    let clusters = set.cluster(&model, &candidates.pairs, &probabilities, args.threshold);
    let cluster_s = seconds(t);
    let total_s = seconds(started);

    let t = Instant::now();
    if let Some(out) = &args.pairs_out {
        write_atomically(out, |w| {
            writeln!(w, "record_id_l,record_id_r,probability")?;
            for (&(i, j), &p) in candidates.pairs.iter().zip(&probabilities) {
                if p >= dedupe::KEEP_ABOVE {
                    writeln!(w, "{},{},{p:.6}", ids[i as usize], ids[j as usize])?;
                }
            }
            Ok(())
        })?;
    }
    if let Some(out) = &args.clusters_out {
        write_atomically(out, |w| {
            writeln!(w, "record_id,cluster")?;
            for (i, &c) in clusters.iter().enumerate() {
                writeln!(w, "{},{}", ids[i], ids[c as usize])?;
            }
            Ok(())
        })?;
    }
    let write_s = seconds(t);
    let links = probabilities
        .iter()
        .filter(|&&p| p >= args.threshold)
        .count();
    let report = json!({
        "task": "dedupe person records (Persian names), Fellegi-Sunter with EM (Hamafza)",
        "records": set.records.len(),
        "threads": args.threads,
        "threshold": args.threshold,
        "load_s": load_s,
        "train_s": train_s,
        "block_s": block_s,
        "score_s": score_s,
        "cluster_s": cluster_s,
        "total_s": total_s,
        "write_s": write_s,
        "candidate_pairs": candidates.pairs.len(),
        "links_at_threshold": links,
        "capped_blocks": candidates.capped,
        "candidate_pairs_by_rule": candidates.by_rule,
        "model": {
            "prior": model.prior,
            "trained_on_pairs": model.trained_on_pairs,
            "em_iterations": model.iterations,
            "em_converged": model.converged,
            "random_pairs_for_u": model.random_pairs,
            "levels": model.table(),
        },
    });
    println!("{report}");
    Ok(())
}

pub struct MatchOneArgs {
    pub persons: PathBuf,
    pub queries: usize,
    pub block_cap: usize,
    /// Records the model is learnt from (a sample of the file when it is larger).
    pub train_on: usize,
}

/// Holds `queries` records out (evenly spread), indexes the rest as the server does,
/// learns the model, then times each held-out record's lookup.
pub fn match_one(args: &MatchOneArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let (ids, people) = read_persons(&args.persons)?;
    let load_s = seconds(started);
    let queries = args.queries.min(people.len() / 2).max(1);
    let stride = people.len() / queries;
    let is_query = |i: usize| i.is_multiple_of(stride) && i / stride < queries;

    let t = Instant::now();
    let sample: Vec<&PersonFields> = people.iter().take(args.train_on).collect();
    let training = Dedupe::prepare(sample.iter().copied());
    let candidates = training.block(args.block_cap);
    let compared = training.compare(&candidates.pairs, 1);
    let model = training.learn(&compared, args.block_cap, RANDOM_PAIRS, SEED);
    drop(training);
    let train_s = seconds(t);

    let t = Instant::now();
    let mut index = Index::build(
        ids.iter()
            .zip(&people)
            .enumerate()
            .filter(|(i, _)| !is_query(*i))
            .map(|(_, (id, p))| (id.clone(), p.clone())),
        model,
        args.block_cap,
    );
    let index_s = seconds(t);

    let mut times = Vec::with_capacity(queries);
    let mut found = 0usize;
    for (_, person) in people.iter().enumerate().filter(|(i, _)| is_query(*i)) {
        let t = Instant::now();
        let matches = index.matches(person, 0.5, 10, None);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        found += usize::from(!matches.is_empty());
    }
    times.sort_by(f64::total_cmp);
    let pct = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    let report = json!({
        "task": "one new record against the registry's in-memory index (Hamafza)",
        "indexed_records": index.len(),
        "queries": times.len(),
        "queries_with_a_match_at_0.5": found,
        "load_s": load_s,
        "train_s": train_s,
        "trained_on_records": args.train_on.min(people.len()),
        "index_build_s": index_s,
        "lookup_ms": { "p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": times[times.len() - 1] },
    });
    println!("{report}");
    Ok(())
}

/// Writes a file whole or not at all: to a temporary name beside it, then renamed.
fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<(), Failure> {
    let tmp = path.with_extension("partial");
    let result = (|| {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        body(&mut w)?;
        w.flush()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Failure(format!("{}: {e}", path.display()))
    })
}
