//! Which polygon contains a point: an R-tree over bounding boxes, then an exact test.

use geo::{BoundingRect, Contains, InteriorPoint, MultiPolygon, Point};
use rstar::{AABB, RTree, RTreeObject};

struct Entry {
    key: usize,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// An index of polygons, each with a caller-chosen value (e.g. a place id).
pub struct ContainmentIndex<V> {
    tree: RTree<Entry>,
    items: Vec<(V, MultiPolygon<f64>)>,
}

impl<V> ContainmentIndex<V> {
    pub fn new(items: Vec<(V, MultiPolygon<f64>)>) -> Self {
        let entries = items
            .iter()
            .enumerate()
            .filter_map(|(key, (_, mp))| {
                let r = mp.bounding_rect()?;
                Some(Entry {
                    key,
                    envelope: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                })
            })
            .collect();
        ContainmentIndex {
            tree: RTree::bulk_load(entries),
            items,
        }
    }

    /// The values of every polygon containing the point.
    pub fn containing(&self, p: Point<f64>) -> impl Iterator<Item = &V> {
        let at = AABB::from_point([p.x(), p.y()]);
        let hits: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&at)
            .filter(|e| self.items[e.key].1.contains(&p))
            .map(|e| e.key)
            .collect();
        hits.into_iter().map(|k| &self.items[k].0)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A point guaranteed to lie inside the polygon, used to find a place's parent.
pub fn inside_point(mp: &MultiPolygon<f64>) -> Option<Point<f64>> {
    mp.interior_point()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Rect, coord};

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            Rect::new(coord! {x: x0, y: y0}, coord! {x: x1, y: y1}).to_polygon(),
        ])
    }

    #[test]
    fn finds_the_containing_polygon() {
        let idx = ContainmentIndex::new(vec![
            ("west", rect(0.0, 0.0, 1.0, 1.0)),
            ("east", rect(1.0, 0.0, 2.0, 1.0)),
        ]);
        assert_eq!(
            idx.containing(Point::new(0.5, 0.5)).collect::<Vec<_>>(),
            vec![&"west"]
        );
        assert_eq!(
            idx.containing(Point::new(1.5, 0.5)).collect::<Vec<_>>(),
            vec![&"east"]
        );
        assert_eq!(idx.containing(Point::new(3.0, 0.5)).count(), 0);
        let child = rect(0.2, 0.2, 0.4, 0.4);
        let p = inside_point(&child).expect("point");
        assert_eq!(idx.containing(p).collect::<Vec<_>>(), vec![&"west"]);
    }
}
