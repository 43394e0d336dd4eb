//! `hamafza bench sjoin` and `hamafza bench hotspot`: the atlas's spatial work on the
//! peers' files (`../shared/bench/peers/`), printing JSON figures and writing the same
//! output files as the peers so the results can be compared row by row.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hamafza_geo::hexbin;
use hamafza_geo::hotspot::{self, Permutations};
use hamafza_geo::locate::{DEFAULT_FINENESS, PointLocator};
use hamafza_geo::{MultiPolygon, read_features};
use serde_json::json;

use crate::Failure;
use crate::events_csv;

/// Categories in the peers' files.
const CATEGORIES: usize = 12;

pub struct SjoinArgs {
    pub polygons: PathBuf,
    pub events: PathBuf,
    pub threads: usize,
    pub counts_out: Option<PathBuf>,
}

pub struct HotspotArgs {
    pub polygons: PathBuf,
    pub events: PathBuf,
    pub resolution: u8,
    pub permutations: usize,
    pub seed: u64,
    pub threads: usize,
    pub cells_out: Option<PathBuf>,
}

/// The polygons and their `nid` (or position from 1 when there is no `nid`).
fn read_polygons(path: &Path) -> Result<(Vec<u32>, Vec<MultiPolygon<f64>>), Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    let features =
        read_features(&bytes).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    let mut ids = Vec::new();
    let mut polygons = Vec::new();
    for f in features {
        let geometry = f
            .geometry
            .clone()
            .map_err(|e| Failure(format!("feature {}: {e}", f.number)))?;
        let id = f
            .text("nid")
            .and_then(|v| v.parse().ok())
            .unwrap_or(f.number as u32);
        ids.push(id);
        polygons.push(geometry);
    }
    Ok((ids, polygons))
}

fn seconds(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 10_000.0).round() / 10_000.0
}

pub fn sjoin(args: &SjoinArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let (ids, polygons) = read_polygons(&args.polygons)?;
    let polygons_s = seconds(started);
    let read_started = Instant::now();
    let events = events_csv::read(&args.events, args.threads)?;
    let load_s = seconds(started);
    let events_s = seconds(read_started);

    let join_started = Instant::now();
    let index = PointLocator::new(&polygons, DEFAULT_FINENESS);
    let index_s = seconds(join_started);
    let counts = count_by_polygon(&index, &events, args.threads);
    let join_s = seconds(join_started);
    let total_s = seconds(started);

    let matched: u64 = counts[1..].iter().map(|row| row[0]).sum();
    if let Some(out) = &args.counts_out {
        write_counts(out, &ids, &counts)?;
    }
    let (nx, ny, boundary) = index.grid_stats();
    let report = json!({
        "task": "point-in-polygon join + count per neighbourhood and category (Hamafza)",
        "threads": args.threads,
        "n_points": events.len(),
        "n_polygons": polygons.len(),
        "matched_points": matched,
        "unmatched_points": counts[0][0],
        "grid": { "columns": nx, "rows": ny, "boundary_cells": boundary },
        "read_polygons_s": polygons_s,
        "read_events_csv_s": events_s,
        "load_s": load_s,
        "index_build_s": index_s,
        "join_s": join_s,
        "total_s": total_s,
    });
    println!("{report:#}");
    Ok(())
}

/// Row 0: events in no polygon; row k: polygon k − 1. Column 0 is the total, column c
/// the category c.
fn count_by_polygon(
    index: &PointLocator,
    events: &events_csv::Events,
    threads: usize,
) -> Vec<[u64; CATEGORIES + 1]> {
    let rows = index.len() + 1;
    let chunk = events.len().div_ceil(threads.max(1)).max(1);
    let partials: Vec<Vec<[u64; CATEGORIES + 1]>> = std::thread::scope(|s| {
        let handles: Vec<_> = events
            .lon
            .chunks(chunk)
            .zip(events.lat.chunks(chunk))
            .zip(events.category.chunks(chunk))
            .map(|((lon, lat), cat)| {
                s.spawn(move || {
                    let mut counts = vec![[0u64; CATEGORIES + 1]; rows];
                    for ((&x, &y), &c) in lon.iter().zip(lat).zip(cat) {
                        let row = index.locate(x, y).map_or(0, |p| p as usize + 1);
                        counts[row][0] += 1;
                        if (c as usize) <= CATEGORIES {
                            counts[row][c as usize] += 1;
                        }
                    }
                    counts
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("counting thread"))
            .collect()
    });
    let mut total = vec![[0u64; CATEGORIES + 1]; rows];
    for part in partials {
        for (t, p) in total.iter_mut().zip(part) {
            for (a, b) in t.iter_mut().zip(p) {
                *a += b;
            }
        }
    }
    total
}

fn write_counts(path: &Path, ids: &[u32], counts: &[[u64; CATEGORIES + 1]]) -> Result<(), Failure> {
    let mut rows: Vec<(u32, &[u64; CATEGORIES + 1])> = vec![(0, &counts[0])];
    rows.extend(ids.iter().copied().zip(counts[1..].iter()));
    rows.sort_by_key(|r| r.0);
    let mut out = String::from("nid,total");
    for c in 1..=CATEGORIES {
        out.push_str(&format!(",cat_{c}"));
    }
    out.push('\n');
    for (nid, row) in rows {
        out.push_str(&nid.to_string());
        for v in row {
            out.push_str(&format!(",{v}"));
        }
        out.push('\n');
    }
    std::fs::write(path, out).map_err(|e| Failure(format!("{}: {e}", path.display())))
}

pub fn hotspot(args: &HotspotArgs) -> Result<(), Failure> {
    let res = hexbin::resolution(args.resolution).ok_or_else(|| {
        Failure(format!(
            "--res {}: H3 resolutions are 0..15",
            args.resolution
        ))
    })?;
    let started = Instant::now();
    let (_, polygons) = read_polygons(&args.polygons)?;
    let events = events_csv::read(&args.events, args.threads)?;
    let load_s = seconds(started);

    let bin_started = Instant::now();
    let event_cells = hexbin::bin_points(&events.lon, &events.lat, res, args.threads);
    let bin_s = seconds(bin_started);

    let area_started = Instant::now();
    let index = PointLocator::new(&polygons, 1000);
    let cells = hexbin::study_cells(&index, index.bbox(), res);
    let y = hexbin::count_in(&cells, &event_cells);
    let study_area_s = seconds(area_started);

    let weights_started = Instant::now();
    let w = hexbin::ring_neighbours(&cells);
    let weights_s = seconds(weights_started);

    let gistar_started = Instant::now();
    let perms = (args.permutations > 0).then_some(Permutations {
        count: args.permutations,
        seed: args.seed,
        threads: args.threads,
    });
    let g = hotspot::gi_star(&y, &w, perms);
    let gistar_s = seconds(gistar_started);
    let total_s = seconds(started);

    if let Some(out) = &args.cells_out {
        let mut text = String::from(if g.p_sim.is_some() {
            "cell,count,z,p_norm,p_sim\n"
        } else {
            "cell,count,z,p_norm\n"
        });
        for i in 0..cells.len() {
            text.push_str(&format!(
                "{},{},{},{}",
                hexbin::cell_name(cells[i]),
                y[i] as u64,
                g.z[i],
                g.p_norm[i]
            ));
            if let Some(p) = &g.p_sim {
                text.push_str(&format!(",{}", p[i]));
            }
            text.push('\n');
        }
        let mut f =
            std::fs::File::create(out).map_err(|e| Failure(format!("{}: {e}", out.display())))?;
        f.write_all(text.as_bytes())
            .map_err(|e| Failure(format!("{}: {e}", out.display())))?;
    }
    let hot = g.z.iter().filter(|&&z| z > 1.96).count();
    let cold = g.z.iter().filter(|&&z| z < -1.96).count();
    let mean_neighbours = w.neighbours.len() as f64 / cells.len().max(1) as f64;
    let report = json!({
        "task": "H3 binning + Getis-Ord Gi* (star, binary weights, k-ring 1) (Hamafza)",
        "threads": args.threads,
        "n_points": events.len(),
        "h3_res": args.resolution,
        "n_cells": cells.len(),
        "events_in_study_cells": y.iter().sum::<f64>() as u64,
        "nonzero_cells": y.iter().filter(|&&v| v > 0.0).count(),
        "mean_neighbours": mean_neighbours,
        "cells_z_gt_1.96": hot,
        "cells_z_lt_-1.96": cold,
        "permutations": args.permutations,
        "seed": args.seed,
        "load_s": load_s,
        "bin_s": bin_s,
        "study_area_s": study_area_s,
        "weights_s": weights_s,
        "gistar_s": gistar_s,
        "total_s": total_s,
    });
    println!("{report:#}");
    Ok(())
}
