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
pub fn bin_points(lons: &[f64], lats: &[f64], res: Resolution, threads: usize) -> Vec<u64> {
    let mut out = vec![0u64; lons.len()];
    let chunk = lons.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        for ((out, lons), lats) in out
            .chunks_mut(chunk)
            .zip(lons.chunks(chunk))
            .zip(lats.chunks(chunk))
        {
            s.spawn(move || {
                for ((o, &lon), &lat) in out.iter_mut().zip(lons).zip(lats) {
                    *o = cell_of(lon, lat, res).unwrap_or(0);
                }
            });
        }
    });
    out
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
