//! Places drawn as an SVG map on the server, so a page and a PDF show the same picture.
//! Each shape links to its place and carries its name for hover.

use geo::{LineString, MultiPolygon, Rect};
use std::fmt::Write;

/// One shape on the map.
pub struct MapShape<'a> {
    pub label: &'a str,
    pub href: &'a str,
    pub geometry: &'a MultiPolygon<f64>,
    /// Extra CSS classes (e.g. "synthetic", or a choropleth class). Colours come from
    /// the stylesheet, never inline styles, which the content security policy forbids.
    pub class: &'a str,
}

/// Renders shapes into an SVG of the given width; the height follows the shapes' aspect.
/// Longitudes are scaled by the cosine of the mid latitude so shapes keep their proportions.
pub fn render_map(shapes: &[MapShape<'_>], width: f64, title: &str) -> String {
    let Some(bounds) = union_bounds(shapes.iter().map(|s| s.geometry)) else {
        return String::new();
    };
    let mid_lat = (bounds.min().y + bounds.max().y) / 2.0;
    let kx = mid_lat.to_radians().cos().max(0.1);
    let (w_deg, h_deg) = ((bounds.width() * kx).max(1e-9), bounds.height().max(1e-9));
    let pad = 4.0;
    let scale = (width - 2.0 * pad) / w_deg;
    let height = (h_deg * scale + 2.0 * pad).ceil();
    let project = |x: f64, y: f64| {
        (
            pad + (x - bounds.min().x) * kx * scale,
            pad + (bounds.max().y - y) * scale,
        )
    };
    // Drop detail finer than a quarter pixel: invisible, and it keeps pages small.
    let tolerance = 0.25 / scale;

    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="place-map" viewBox="0 0 {width:.0} {height:.0}" role="img" aria-label="{}">"#,
        escape(title)
    );
    for shape in shapes {
        let simplified = crate::simplify(shape.geometry, tolerance);
        let mut d = String::new();
        for poly in &simplified.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                path_ring(&mut d, ring, &project);
            }
        }
        let _ = write!(
            out,
            r#"<a href="{}" class="map-link"><path class="map-shape {}" d="{}" fill-rule="evenodd" data-name="{}"><title>{}</title></path></a>"#,
            escape(shape.href),
            escape(shape.class),
            d,
            escape(shape.label),
            escape(shape.label)
        );
    }
    out.push_str("</svg>");
    out
}

fn path_ring(d: &mut String, ring: &LineString<f64>, project: &impl Fn(f64, f64) -> (f64, f64)) {
    for (i, c) in ring.0.iter().enumerate() {
        let (x, y) = project(c.x, c.y);
        let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
    }
    d.push('Z');
}

fn union_bounds<'a>(geoms: impl Iterator<Item = &'a MultiPolygon<f64>>) -> Option<Rect<f64>> {
    geoms
        .filter_map(geo::BoundingRect::bounding_rect)
        .reduce(|a, b| {
            Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
}

/// Escapes text for an XML attribute or element.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Rect, coord};

    #[test]
    fn draws_linked_shapes_with_names() {
        let a = MultiPolygon(vec![
            Rect::new(coord! {x: 51.0, y: 35.0}, coord! {x: 51.1, y: 35.1}).to_polygon(),
        ]);
        let b = MultiPolygon(vec![
            Rect::new(coord! {x: 51.1, y: 35.0}, coord! {x: 51.2, y: 35.1}).to_polygon(),
        ]);
        let svg = render_map(
            &[
                MapShape {
                    label: "محلهٔ <الف>",
                    href: "/places/a",
                    geometry: &a,
                    class: "",
                },
                MapShape {
                    label: "ب",
                    href: "/places/b",
                    geometry: &b,
                    class: "synthetic",
                },
            ],
            400.0,
            "نقشه",
        );
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<path").count(), 2);
        assert!(svg.contains(r#"href="/places/b""#));
        assert!(svg.contains("محلهٔ &lt;الف&gt;"), "names are escaped");
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn nothing_to_draw_is_empty() {
        assert_eq!(render_map(&[], 400.0, "x"), "");
    }
}
