//! Reading the benchmark's events file (`event_id,lon,lat,category,ts`, as the peers'
//! generator writes it) fast: the file is split at line ends into one byte range per
//! thread, and each range read in small blocks and parsed without allocating per row.

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

/// Reads the file in blocks (no copy of the whole file in memory), one byte range per
/// thread, each parsed as it arrives; the parts are joined in file order.
pub fn read(path: &std::path::Path, threads: usize) -> Result<Events, Failure> {
    use std::os::unix::fs::FileExt;
    let fail = |e: std::io::Error| Failure(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(fail)?;
    let size = file.metadata().map_err(fail)?.len() as usize;
    // The header: the first line.
    let mut head = vec![0u8; size.min(4096)];
    file.read_exact_at(&mut head, 0).map_err(fail)?;
    let header_end = head
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| Failure(format!("{}:1: no header line", path.display())))?;
    let layout = layout_of(&head[..header_end])
        .map_err(|(line, why)| Failure(format!("{}:{line}: {why}", path.display())))?;
    // Byte ranges starting at line starts.
    let threads = threads.max(1);
    let body = header_end + 1;
    let mut bounds = vec![body];
    for t in 1..threads {
        let mut at = body + (size - body) * t / threads;
        let mut probe = [0u8; 1];
        while at < size {
            file.read_exact_at(&mut probe, (at - 1) as u64)
                .map_err(fail)?;
            if probe[0] == b'\n' {
                break;
            }
            at += 1;
        }
        bounds.push(at.max(*bounds.last().unwrap_or(&body)));
    }
    bounds.push(size);
    let parts: Vec<Result<(Events, usize), (usize, String)>> = std::thread::scope(|s| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (from, to) = (w[0], w[1]);
                let (file, layout) = (&file, &layout);
                s.spawn(move || read_range(file, from, to, layout))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err((0, "reader thread failed".into())))
            })
            .collect()
    });
    let mut events = Events::default();
    let mut line_offset = 1;
    let total: usize = parts
        .iter()
        .map(|p| p.as_ref().map_or(0, |(e, _)| e.len()))
        .sum();
    events.lon.reserve_exact(total);
    events.lat.reserve_exact(total);
    events.category.reserve_exact(total);
    for part in parts {
        match part {
            // One part (one thread) is taken as it is, without a copy.
            Ok((part, _)) if events.len() == 0 && part.len() == total => {
                events = part;
            }
            Ok((part, lines)) => {
                events.lon.extend_from_slice(&part.lon);
                events.lat.extend_from_slice(&part.lat);
                events.category.extend_from_slice(&part.category);
                line_offset += lines;
            }
            Err((line, why)) => {
                return Err(Failure(format!(
                    "{}:{}: {why}",
                    path.display(),
                    line_offset + line
                )));
            }
        }
    }
    Ok(events)
}

/// Reads and parses `from..to` in 256 KiB blocks, small enough that a block is still in
/// the core's cache when it is parsed (measured 4 MiB: 0.52–0.61 s for 10M rows, 256 KiB:
/// 0.49–0.62 s, median 0.52 against 0.55); returns the events and the lines read.
fn read_range(
    file: &std::fs::File,
    from: usize,
    to: usize,
    layout: &Layout,
) -> Result<(Events, usize), (usize, String)> {
    use std::os::unix::fs::FileExt;
    const BLOCK: usize = 256 << 10;
    let rows = (to - from) / 40 + 1;
    let mut out = Events {
        lon: Vec::with_capacity(rows),
        lat: Vec::with_capacity(rows),
        category: Vec::with_capacity(rows),
    };
    let mut buffer = vec![0u8; BLOCK];
    let mut carried = 0; // bytes of an unfinished line kept at the buffer's start
    let mut at = from;
    let mut lines = 0;
    while at < to {
        let want = (to - at).min(BLOCK - carried);
        if want == 0 && carried == BLOCK {
            return Err((lines + 1, "a line longer than 256 KiB".into()));
        }
        file.read_exact_at(&mut buffer[carried..carried + want], at as u64)
            .map_err(|e| (lines + 1, e.to_string()))?;
        at += want;
        let filled = carried + want;
        // Parse up to the last complete line (or everything at the end of the range).
        let end = if at >= to {
            filled
        } else {
            buffer[..filled]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1)
        };
        let n =
            parse_into(&buffer[..end], layout, &mut out).map_err(|(l, why)| (lines + l, why))?;
        lines += n;
        buffer.copy_within(end..filled, 0);
        carried = filled - end;
    }
    Ok((out, lines))
}

fn layout_of(header: &[u8]) -> Result<Layout, (usize, String)> {
    let header = String::from_utf8_lossy(header).replace('"', "");
    let columns: Vec<&str> = header.trim().split(',').collect();
    let at = |name: &str| {
        columns
            .iter()
            .position(|c| *c == name)
            .ok_or((1, format!("no `{name}` column in the header")))
    };
    Ok(Layout {
        lon: at("lon")?,
        lat: at("lat")?,
        category: at("category")?,
    })
}

struct Layout {
    lon: usize,
    lat: usize,
    category: usize,
}

/// Appends the rows of `piece` to `out`; returns how many lines it held.
///
/// One pass per row: each field up to the last one needed ends at the next comma or
/// line end, and only then is the rest of the line skipped, so the bytes of the needed
/// fields are not searched twice.
fn parse_into(piece: &[u8], layout: &Layout, out: &mut Events) -> Result<usize, (usize, String)> {
    let last_needed = layout.lon.max(layout.lat).max(layout.category);
    let mut i = 0;
    let mut line = 0;
    while i < piece.len() {
        line += 1;
        let (mut lon, mut lat, mut cat) = (None, None, None);
        let mut at = i;
        let mut line_done = false;
        for field in 0..=last_needed {
            let end = if field == layout.lon {
                let (value, end) = decimal_field(piece, at);
                lon = value;
                end
            } else if field == layout.lat {
                let (value, end) = decimal_field(piece, at);
                lat = value;
                end
            } else {
                let end = field_end(piece, at);
                if field == layout.category {
                    let text = &piece[at..end];
                    cat = small_integer(text.strip_suffix(b"\r").unwrap_or(text));
                }
                end
            };
            at = end + 1;
            if end >= piece.len() || piece[end] == b'\n' {
                line_done = true;
                break;
            }
        }
        let row_end = if line_done {
            at - 1
        } else {
            line_end(piece, at)
        };
        let row = &piece[i..row_end.min(piece.len())];
        i = row_end + 1;
        // A blank line counts as a line but holds no event.
        if lon.is_none() && row.iter().all(u8::is_ascii_whitespace) {
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
    Ok(line)
}

/// Where the field starting at `at` ends: the next comma or line end. Fields here are a
/// few bytes long, so a plain loop beats a vectorised search and its setup (eight bytes
/// at a time measured no faster either).
fn field_end(piece: &[u8], mut at: usize) -> usize {
    while at < piece.len() && piece[at] != b',' && piece[at] != b'\n' {
        at += 1;
    }
    at
}

fn line_end(piece: &[u8], mut at: usize) -> usize {
    while at < piece.len() && piece[at] != b'\n' {
        at += 1;
    }
    at
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The decimal field starting at `at`, parsed in the same pass that finds its end (the
/// comma or line end after it). Plain decimals of up to 15 digits are read here, as in
/// [`decimal`]; anything else (an exponent, a `\r`, spaces, more digits) goes to
/// [`decimal`] with the whole field.
#[inline]
fn decimal_field(piece: &[u8], at: usize) -> (Option<f64>, usize) {
    let mut i = at;
    let negative = piece.get(i) == Some(&b'-');
    if negative {
        i += 1;
    }
    let mut mantissa: u64 = 0;
    let mut count = 0;
    let mut point = None;
    while let Some(&b) = piece.get(i) {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
            count += 1;
        } else if b == b'.' && point.is_none() {
            point = Some(i);
        } else {
            break;
        }
        i += 1;
    }
    let at_field_end = matches!(piece.get(i), None | Some(b',' | b'\n'));
    if at_field_end && (1..=15).contains(&count) {
        let fraction = point.map_or(0, |p| i - p - 1);
        let v = mantissa as f64 / POW10[fraction];
        return (Some(if negative { -v } else { v }), i);
    }
    let end = field_end(piece, at);
    let text = &piece[at..end];
    (decimal(text.strip_suffix(b"\r").unwrap_or(text)), end)
}

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
            "1234567.12345678",
            "0.1",
            "9.99999999",
            "35.",
            ".5",
            "3.1x",
            "12345678.5",
        ] {
            assert_eq!(decimal(s.as_bytes()), s.parse::<f64>().ok(), "{s}");
            let row = format!("{s},7\n");
            assert_eq!(
                decimal_field(row.as_bytes(), 0),
                (s.parse::<f64>().ok(), s.len()),
                "{s} in a row"
            );
        }
        assert_eq!(decimal(b"5x"), None);
        assert_eq!(decimal_field(b"5x,1", 0), (None, 2));
        assert_eq!(decimal_field(b"-", 0), (None, 1));
        assert_eq!(decimal_field(b"1.5\r\n", 0), (Some(1.5), 4));
        // Every digit in every place of the word.
        let mut seed = 7u64;
        for _ in 0..100_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let whole = (seed >> 40) % 1000;
            let places = 1 + (seed >> 20) % 8;
            let fraction = (seed >> 3) % 10u64.pow(places as u32);
            let s = format!("{whole}.{fraction:0width$}", width = places as usize);
            assert_eq!(decimal(s.as_bytes()), s.parse::<f64>().ok(), "{s}");
        }
    }

    fn file_with(text: &[u8]) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("events-{}.csv", uuid::Uuid::now_v7().simple()));
        std::fs::write(&path, text).expect("write");
        path
    }

    /// A file several blocks long, so rows are cut at block ends and carried over.
    #[test]
    fn rows_across_blocks() {
        let mut text = String::from("event_id,lon,lat,category,ts\n");
        let rows = 30_000;
        for i in 0..rows {
            text.push_str(&format!(
                "{i},51.{i:06},35.{:06},{},1700000000\n",
                rows - i,
                1 + i % 12
            ));
        }
        assert!(text.len() > 3 * (256 << 10));
        let file = file_with(text.as_bytes());
        for threads in 1..4 {
            let e = read(&file, threads).expect("parses");
            assert_eq!(e.len(), rows);
            for i in [0, 1, 7_000, 12_345, rows - 1] {
                assert_eq!(e.lon[i], format!("51.{i:06}").parse::<f64>().expect("f64"));
                assert_eq!(
                    e.lat[i],
                    format!("35.{:06}", rows - i).parse::<f64>().expect("f64")
                );
                assert_eq!(usize::from(e.category[i]), 1 + i % 12);
            }
        }
        let _ = std::fs::remove_file(file);
    }

    #[test]
    fn field_and_line_ends() {
        let text = b"12345678901,2\n,,abcdefghijklmnop\nxyz";
        for at in 0..text.len() {
            let byte_loop = |stop: &dyn Fn(u8) -> bool| {
                (at..text.len())
                    .find(|&i| stop(text[i]))
                    .unwrap_or(text.len())
            };
            assert_eq!(
                field_end(text, at),
                byte_loop(&|b| b == b',' || b == b'\n'),
                "{at}"
            );
            assert_eq!(line_end(text, at), byte_loop(&|b| b == b'\n'), "{at}");
        }
    }

    #[test]
    fn rows_and_errors() {
        let file = file_with(b"\"event_id\",\"lon\",\"lat\",\"category\",\"ts\"\n1,51.25,35.76,11,0\n2,51.5,35.6,6,0\r\n\n3,51.1,35.7,3,0");
        for threads in 1..5 {
            let e = read(&file, threads).expect("parses");
            assert_eq!(e.len(), 3);
            assert_eq!(e.lon, vec![51.25, 51.5, 51.1]);
            assert_eq!(e.category, vec![11, 6, 3]);
        }
        let bad = file_with(
            b"event_id,lon,lat,category,ts\n1,51.25,35.76,11,0\n2,x,35.6,6,0\n3,51.1,35.7,3,0\n",
        );
        for threads in 1..4 {
            let err = read(&bad, threads).err().expect("refused").0;
            assert!(err.ends_with(":3: lon is not a number"), "{threads}: {err}");
        }
        let _ = std::fs::remove_file(file);
        let _ = std::fs::remove_file(bad);
    }
}
