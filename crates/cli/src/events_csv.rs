//! Reading the benchmark's events file (`event_id,lon,lat,category,ts`, as the peers'
//! generator writes it) fast: the file is read whole, split at line ends into one slice
//! per thread, and each slice parsed without allocating per row.

use crate::Failure;

/// Events as columns.
#[derive(Default)]
pub struct Events {
    pub lon: Vec<f64>,
    pub lat: Vec<f64>,
    /// 1..=255; 0 never appears (rows with category 0 are refused).
    pub category: Vec<u8>,
}

impl Events {
    pub fn len(&self) -> usize {
        self.lon.len()
    }
}

pub fn read(path: &std::path::Path, threads: usize) -> Result<Events, Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    parse(&bytes, threads)
        .map_err(|(line, why)| Failure(format!("{}:{line}: {why}", path.display())))
}

/// Parses the whole file; an error names the line (from 1) and what is wrong with it.
pub fn parse(bytes: &[u8], threads: usize) -> Result<Events, (usize, String)> {
    let header_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or((1, "no header line".to_string()))?;
    let header = String::from_utf8_lossy(&bytes[..header_end]).replace('"', "");
    let columns: Vec<&str> = header.trim().split(',').collect();
    let at = |name: &str| {
        columns
            .iter()
            .position(|c| *c == name)
            .ok_or((1, format!("no `{name}` column in the header")))
    };
    let layout = Layout {
        lon: at("lon")?,
        lat: at("lat")?,
        category: at("category")?,
    };
    let body = &bytes[header_end + 1..];
    // Split at line ends near equal shares.
    let mut pieces = Vec::new();
    let mut start = 0;
    for t in 1..=threads.max(1) {
        let mut end = body.len() * t / threads.max(1);
        while end < body.len() && body[end - 1] != b'\n' {
            end += 1;
        }
        let end = end.max(start);
        pieces.push(&body[start..end]);
        start = end;
    }
    let results: Vec<Result<Events, (usize, String)>> = std::thread::scope(|s| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|piece| s.spawn(|| parse_rows(piece, &layout)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err((0, "parser thread failed".into())))
            })
            .collect()
    });
    let mut events = Events::default();
    let mut line_offset = 1;
    for (piece, result) in pieces.iter().zip(results) {
        match result {
            Ok(part) => {
                events.lon.extend_from_slice(&part.lon);
                events.lat.extend_from_slice(&part.lat);
                events.category.extend_from_slice(&part.category);
            }
            Err((line, why)) => return Err((line_offset + line, why)),
        }
        line_offset += memchr_count(piece);
    }
    Ok(events)
}

struct Layout {
    lon: usize,
    lat: usize,
    category: usize,
}

fn memchr_count(piece: &[u8]) -> usize {
    piece.iter().filter(|&&b| b == b'\n').count()
}

/// Parses rows; an error's line is counted from 1 within the piece. One pass over the
/// bytes: each field is found by scanning for the next comma or line end.
fn parse_rows(piece: &[u8], layout: &Layout) -> Result<Events, (usize, String)> {
    let rows = piece.len() / 40 + 1;
    let mut out = Events {
        lon: Vec::with_capacity(rows),
        lat: Vec::with_capacity(rows),
        category: Vec::with_capacity(rows),
    };
    let mut i = 0;
    let mut line = 0;
    while i < piece.len() {
        line += 1;
        let (mut lon, mut lat, mut cat) = (None, None, None);
        let mut field = 0;
        let row_start = i;
        loop {
            let start = i;
            while i < piece.len() && piece[i] != b',' && piece[i] != b'\n' {
                i += 1;
            }
            let text = &piece[start..i];
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if field == layout.lon {
                lon = decimal(text);
            } else if field == layout.lat {
                lat = decimal(text);
            } else if field == layout.category {
                cat = small_integer(text);
            }
            field += 1;
            let end_of_line = i >= piece.len() || piece[i] == b'\n';
            i += 1;
            if end_of_line {
                break;
            }
        }
        if i - row_start <= 2
            && piece[row_start..i.min(piece.len())]
                .iter()
                .all(|b| b.is_ascii_whitespace())
        {
            continue;
        }
        match (lon, lat, cat) {
            (Some(x), Some(y), Some(c)) => {
                out.lon.push(x);
                out.lat.push(y);
                out.category.push(c);
            }
            (None, _, _) => return Err((line, "lon is not a number".into())),
            (_, None, _) => return Err((line, "lat is not a number".into())),
            (_, _, None) => return Err((line, "category is not 1..255".into())),
        }
    }
    Ok(out)
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A plain decimal (`-51.257624`). With fewer than 16 digits the value is the digits as
/// an integer divided by a power of ten, both exact in f64, so the one rounding of the
/// division gives the correctly rounded result — the same number any correct parser
/// gives. Anything else goes to the standard parser.
fn decimal(field: &[u8]) -> Option<f64> {
    let (negative, digits) = match field.first() {
        Some(b'-') => (true, &field[1..]),
        _ => (false, field),
    };
    let mut mantissa: u64 = 0;
    let mut count = 0;
    let mut fraction = None;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
            }
            b'.' if fraction.is_none() => fraction = Some(digits.len() - i - 1),
            _ => return std::str::from_utf8(field).ok()?.parse().ok(),
        }
    }
    if count == 0 || count > 15 {
        return std::str::from_utf8(field).ok()?.trim().parse().ok();
    }
    let v = mantissa as f64 / POW10[fraction.unwrap_or(0)];
    Some(if negative { -v } else { v })
}

fn small_integer(field: &[u8]) -> Option<u8> {
    let mut v: u32 = 0;
    if field.is_empty() || field.len() > 3 {
        return None;
    }
    for &b in field {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(b - b'0');
    }
    u8::try_from(v).ok().filter(|&c| c > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_match_the_standard_parser() {
        for s in [
            "51.257624",
            "-0.5",
            "35.8",
            "0.000001",
            "12",
            "1e3",
            "51.2576240000000001",
        ] {
            assert_eq!(decimal(s.as_bytes()), s.parse::<f64>().ok(), "{s}");
        }
        assert_eq!(decimal(b"5x"), None);
    }

    #[test]
    fn rows_and_errors() {
        let file = b"\"event_id\",\"lon\",\"lat\",\"category\",\"ts\"\n1,51.25,35.76,11,0\n2,51.5,35.6,6,0\n3,51.1,35.7,3,0\n";
        for threads in 1..4 {
            let e = parse(file, threads).expect("parses");
            assert_eq!(e.len(), 3);
            assert_eq!(e.lon, vec![51.25, 51.5, 51.1]);
            assert_eq!(e.category, vec![11, 6, 3]);
        }
        let bad = b"event_id,lon,lat,category,ts\n1,51.25,35.76,11,0\n2,x,35.6,6,0\n";
        assert_eq!(parse(bad, 1).err().map(|e| e.0), Some(3));
        assert_eq!(parse(bad, 2).err().map(|e| e.0), Some(3));
    }
}
