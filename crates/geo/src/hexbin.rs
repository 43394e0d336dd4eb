//! Events on the H3 grid: the cell of each point, the cells of a study area, and each
//! cell's ring of neighbours (the weights of the hot-spot statistic).

use std::collections::{HashMap, VecDeque};

use h3o::{CellIndex, LatLng, Resolution};

use crate::locate::PointLocator;

/// The resolution events are binned at unless told otherwise (cells of ~0.1 km²).
pub const DEFAULT_RESOLUTION: u8 = 9;

/// An H3 resolution from its number (0..=15).
pub fn resolution(n: u8) -> Option<Resolution> {
    Resolution::try_from(n).ok()
}

/// The cell of one point (`None` for coordinates that are not a place on Earth).
#[inline]
pub fn cell_of(lon: f64, lat: f64, res: Resolution) -> Option<u64> {
    LatLng::new(lat, lon)
        .ok()
        .map(|ll| u64::from(ll.to_cell(res)))
}

/// The cell of every point, on `threads` threads; 0 where a point has no cell.
///
/// Many points in a city-sized area take a faster road with the same answers: the
/// area's cells become polygons in a [`PointLocator`], and a point well inside one of
/// them (farther than [`EDGE_MARGIN`] from its edges) gets that cell; the rest — near
/// an edge, or outside the area — are computed by H3 itself.
pub fn bin_points(lons: &[f64], lats: &[f64], res: Resolution, threads: usize) -> Vec<u64> {
    let index = (lons.len() >= 50_000)
        .then(|| HexIndex::covering(lons, lats, res))
        .flatten();
    let mut out = vec![0u64; lons.len()];
    let chunk = lons.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        for ((out, lons), lats) in out
            .chunks_mut(chunk)
            .zip(lons.chunks(chunk))
            .zip(lats.chunks(chunk))
        {
            let index = index.as_ref();
            s.spawn(move || {
                for ((o, &lon), &lat) in out.iter_mut().zip(lons).zip(lats) {
                    *o = index
                        .and_then(|i| i.cell(lon, lat))
                        .or_else(|| cell_of(lon, lat, res))
                        .unwrap_or(0);
                }
            });
        }
    });
    out
}

/// How far (in degrees) a point must be from a cell's straight-line outline to take the
/// outline's answer. H3's true edges are great-circle arcs between the same vertices;
/// at resolution 9 an arc leaves its chord by well under 1e-8 degrees, so 1e-7 (about
/// a centimetre) leaves a wide margin, and only about 3 points in 10,000 need H3 itself.
pub const EDGE_MARGIN: f64 = 1e-7;

/// The cells of an area as convex outlines on a coarse grid, for binning many points.
struct HexIndex {
    cells: Vec<u64>,
    /// Per cell, its edges as (x, y of a vertex, inward unit normal): a point's signed
    /// distance inside an edge is (p − a)·n.
    edges: Vec<[[f64; 4]; 6]>,
    /// Grid over the area: the cells whose box overlaps each grid square (CSR).
    origin: (f64, f64),
    inv_step: f64,
    columns: usize,
    rows: usize,
    start: Vec<u32>,
    candidates: Vec<u32>,
}

impl HexIndex {
    /// The cells around the points' extent, or `None` when the extent is too large to
    /// be worth it (more than 300,000 cells) or too coarse a resolution for the margin.
    fn covering(lons: &[f64], lats: &[f64], res: Resolution) -> Option<HexIndex> {
        if u8::from(res) < 7 {
            return None;
        }
        let mut bbox = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for (&x, &y) in lons.iter().zip(lats) {
            if x.is_finite() && y.is_finite() {
                bbox = [
                    bbox[0].min(x),
                    bbox[1].min(y),
                    bbox[2].max(x),
                    bbox[3].max(y),
                ];
            }
        }
        if !bbox[0].is_finite() || bbox[3].abs() > 80.0 || bbox[1].abs() > 80.0 {
            return None;
        }
        let start = CellIndex::try_from(cell_of(
            (bbox[0] + bbox[2]) / 2.0,
            (bbox[1] + bbox[3]) / 2.0,
            res,
        )?)
        .ok()?;
        let area_deg2 =
            start.area_km2() / (111.0 * 111.0 * ((bbox[1] + bbox[3]) / 2.0).to_radians().cos());
        if (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]) / area_deg2 > 300_000.0 {
            return None;
        }
        // Every cell whose centre is within the extent widened by two cells.
        let margin = 2.0 * area_deg2.sqrt();
        let near = |c: CellIndex| {
            let ll = LatLng::from(c);
            ll.lng() >= bbox[0] - margin
                && ll.lng() <= bbox[2] + margin
                && ll.lat() >= bbox[1] - margin
                && ll.lat() <= bbox[3] + margin
        };
        let mut seen = std::collections::HashSet::from([start]);
        let mut queue = VecDeque::from([start]);
        let mut cells = Vec::new();
        let mut edges = Vec::new();
        let mut boxes = Vec::new();
        while let Some(cell) = queue.pop_front() {
            let outline: Vec<(f64, f64)> =
                cell.boundary().iter().map(|v| (v.lng(), v.lat())).collect();
            // Only plain hexagons take the fast road; others (pentagons, cells bent
            // across an icosahedron edge) are left to H3.
            if outline.len() == 6 {
                let area2: f64 = (0..6)
                    .map(|i| {
                        let (a, b) = (outline[i], outline[(i + 1) % 6]);
                        a.0 * b.1 - b.0 * a.1
                    })
                    .sum();
                let turn = area2.signum();
                let mut e = [[0.0; 4]; 6];
                for (i, slot) in e.iter_mut().enumerate() {
                    let (a, b) = (outline[i], outline[(i + 1) % 6]);
                    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                    let len = (dx * dx + dy * dy).sqrt();
                    // Left of a counter-clockwise edge is inside.
                    *slot = [a.0, a.1, -dy / len * turn, dx / len * turn];
                }
                let xs = outline.iter().map(|p| p.0);
                let ys = outline.iter().map(|p| p.1);
                boxes.push([
                    xs.clone().fold(f64::INFINITY, f64::min),
                    ys.clone().fold(f64::INFINITY, f64::min),
                    xs.fold(f64::NEG_INFINITY, f64::max),
                    ys.fold(f64::NEG_INFINITY, f64::max),
                ]);
                edges.push(e);
                cells.push(u64::from(cell));
            }
            for next in cell.grid_disk::<Vec<_>>(1) {
                if seen.insert(next) && near(next) {
                    queue.push_back(next);
                }
            }
        }
        // Grid squares about half a cell wide: each overlaps a few cells' boxes.
        let step = area_deg2.sqrt() / 2.0;
        let origin = (bbox[0] - margin, bbox[1] - margin);
        let columns = (((bbox[2] - bbox[0]) + 2.0 * margin) / step).ceil() as usize + 1;
        let rows = (((bbox[3] - bbox[1]) + 2.0 * margin) / step).ceil() as usize + 1;
        let inv_step = 1.0 / step;
        let bin = |v: f64, o: f64, n: usize| (((v - o) * inv_step).max(0.0) as usize).min(n - 1);
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); columns * rows];
        for (k, b) in boxes.iter().enumerate() {
            for row in bin(b[1], origin.1, rows)..=bin(b[3], origin.1, rows) {
                for col in bin(b[0], origin.0, columns)..=bin(b[2], origin.0, columns) {
                    lists[row * columns + col].push(k as u32);
                }
            }
        }
        let mut start = Vec::with_capacity(lists.len() + 1);
        let mut candidates = Vec::new();
        start.push(0);
        for l in lists {
            candidates.extend(l);
            start.push(candidates.len() as u32);
        }
        Some(HexIndex {
            cells,
            edges,
            origin,
            inv_step,
            columns,
            rows,
            start,
            candidates,
        })
    }

    /// The point's cell when it lies clearly inside one outline (farther than
    /// [`EDGE_MARGIN`] from every edge); `None` otherwise.
    #[inline]
    fn cell(&self, lon: f64, lat: f64) -> Option<u64> {
        let col = (lon - self.origin.0) * self.inv_step;
        let row = (lat - self.origin.1) * self.inv_step;
        if !(col >= 0.0 && row >= 0.0) {
            return None;
        }
        let (col, row) = (col as usize, row as usize);
        if col >= self.columns || row >= self.rows {
            return None;
        }
        let g = row * self.columns + col;
        let list = &self.candidates[self.start[g] as usize..self.start[g + 1] as usize];
        for &k in list {
            let mut least = f64::INFINITY;
            for e in &self.edges[k as usize] {
                least = least.min((lon - e[0]) * e[2] + (lat - e[1]) * e[3]);
            }
            if least > EDGE_MARGIN {
                return Some(self.cells[k as usize]);
            }
            if least > -EDGE_MARGIN {
                // On or near this cell's outline: let H3 decide.
                return None;
            }
        }
        None
    }
}

/// The study area: every cell whose centre lies inside the union of the polygons (on a
/// shared border counts as inside), sorted by index like `h3.polygon_to_cells`.
pub fn study_cells(polygons: &PointLocator, bbox: [f64; 4], res: Resolution) -> Vec<u64> {
    let centre = |c: CellIndex| {
        let ll = LatLng::from(c);
        (ll.lng(), ll.lat())
    };
    let Some(start) = cell_of((bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0, res) else {
        return Vec::new();
    };
    let start = CellIndex::try_from(start).expect("a cell from to_cell");
    // Walk every cell whose centre is within the box widened by two cells, so a concave
    // or split area is crossed; keep those whose centre the polygons cover.
    let (sx, sy) = centre(start);
    let margin = start
        .boundary()
        .iter()
        .map(|v| (v.lng() - sx).abs().max((v.lat() - sy).abs()))
        .fold(0.0, f64::max)
        * 4.0;
    let near = |(x, y): (f64, f64)| {
        x >= bbox[0] - margin
            && x <= bbox[2] + margin
            && y >= bbox[1] - margin
            && y <= bbox[3] + margin
    };
    let mut seen = std::collections::HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    let mut inside = Vec::new();
    while let Some(cell) = queue.pop_front() {
        let (x, y) = centre(cell);
        if polygons.covers(x, y) {
            inside.push(u64::from(cell));
        }
        for next in cell.grid_disk::<Vec<_>>(1) {
            if seen.insert(next) && near(centre(next)) {
                queue.push_back(next);
            }
        }
    }
    inside.sort_unstable();
    inside
}

/// Binary contiguity weights without the diagonal, as compressed rows: the neighbours of
/// cell `i` are `neighbours[start[i]..start[i + 1]]` (indices into the cell list).
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbours {
    pub start: Vec<u32>,
    pub neighbours: Vec<u32>,
}

impl Neighbours {
    pub fn of(&self, i: usize) -> &[u32] {
        &self.neighbours[self.start[i] as usize..self.start[i + 1] as usize]
    }

    pub fn len(&self) -> usize {
        self.start.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Builds weights from explicit neighbour lists (tests, other tessellations).
    pub fn from_lists(lists: &[Vec<u32>]) -> Neighbours {
        let mut start = vec![0u32];
        let mut neighbours = Vec::new();
        for list in lists {
            neighbours.extend_from_slice(list);
            start.push(neighbours.len() as u32);
        }
        Neighbours { start, neighbours }
    }
}

/// K-ring 1 neighbours of each cell that are themselves in the list.
pub fn ring_neighbours(cells: &[u64]) -> Neighbours {
    let position: HashMap<u64, u32> = cells
        .iter()
        .enumerate()
        .map(|(i, &c)| (c, i as u32))
        .collect();
    let mut lists = Vec::with_capacity(cells.len());
    for &c in cells {
        let mut list: Vec<u32> = CellIndex::try_from(c)
            .map(|cell| {
                cell.grid_disk::<Vec<_>>(1)
                    .into_iter()
                    .filter(|&n| n != cell)
                    .filter_map(|n| position.get(&u64::from(n)).copied())
                    .collect()
            })
            .unwrap_or_default();
        list.sort_unstable();
        lists.push(list);
    }
    Neighbours::from_lists(&lists)
}

/// The count of events per study cell (events outside the study area are not counted).
pub fn count_in(cells: &[u64], event_cells: &[u64]) -> Vec<f64> {
    let mut y = vec![0.0; cells.len()];
    for c in event_cells {
        if let Ok(i) = cells.binary_search(c) {
            y[i] += 1.0;
        }
    }
    y
}

/// The text form of a cell (`8929a...`), as h3-py prints it.
pub fn cell_name(cell: u64) -> String {
    format!("{cell:x}")
}

/// A cell as a closed polygon in (lon, lat), for drawing.
pub fn cell_polygon(cell: u64) -> geo::MultiPolygon<f64> {
    let mut ring: Vec<geo::Coord<f64>> = cell_outline(cell)
        .into_iter()
        .map(|(x, y)| geo::Coord { x, y })
        .collect();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    geo::MultiPolygon(vec![geo::Polygon::new(geo::LineString(ring), vec![])])
}

/// A cell's outline as (lon, lat) vertices, for drawing.
pub fn cell_outline(cell: u64) -> Vec<(f64, f64)> {
    CellIndex::try_from(cell)
        .map(|c| c.boundary().iter().map(|v| (v.lng(), v.lat())).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, Rect, coord};

    #[test]
    fn study_area_and_rings() {
        let res = resolution(8).expect("res");
        let square = MultiPolygon(vec![
            Rect::new(coord! {x: 51.35, y: 35.68}, coord! {x: 51.40, y: 35.72}).to_polygon(),
        ]);
        let index = PointLocator::new(&[square], 100);
        let cells = study_cells(&index, [51.35, 35.68, 51.40, 35.72], res);
        assert!(cells.len() > 10, "{} cells", cells.len());
        for &c in &cells {
            let ll = LatLng::from(CellIndex::try_from(c).expect("cell"));
            assert!(index.covers(ll.lng(), ll.lat()));
        }
        let w = ring_neighbours(&cells);
        assert_eq!(w.len(), cells.len());
        // Interior cells have six neighbours, edge cells fewer, and the relation is symmetric.
        assert!(w.of(0).len() <= 6);
        assert!((0..w.len()).any(|i| w.of(i).len() == 6));
        for i in 0..w.len() {
            for &j in w.of(i) {
                assert!(w.of(j as usize).contains(&(i as u32)));
            }
        }
        let lon = [51.37, 51.37, 0.0];
        // The fast road gives H3's own answer for every point, near edges included.
        let mut seed = 99u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 1_000_000) as f64 / 1_000_000.0
        };
        let many_lon: Vec<f64> = (0..60_000)
            .map(|_| ((51.3 + next() * 0.2) * 1e6).round() / 1e6)
            .collect();
        let many_lat: Vec<f64> = (0..60_000)
            .map(|_| ((35.6 + next() * 0.15) * 1e6).round() / 1e6)
            .collect();
        let res9 = resolution(9).expect("res");
        let fast = bin_points(&many_lon, &many_lat, res9, 2);
        for ((&x, &y), &c) in many_lon.iter().zip(&many_lat).zip(&fast) {
            assert_eq!(Some(c), cell_of(x, y, res9), "({x}, {y})");
        }
        let lat = [35.70, 35.70, f64::NAN];
        let binned = bin_points(&lon, &lat, res, 2);
        assert_eq!(binned[0], binned[1]);
        assert_eq!(
            binned[2], 0,
            "a coordinate that is not a number has no cell"
        );
        let y = count_in(&cells, &binned);
        assert_eq!(y.iter().sum::<f64>(), 2.0);
    }
}
