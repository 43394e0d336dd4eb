//! Resolution lists as spreadsheets: XLSX out (Persian headers, right-to-left sheet,
//! Jalali dates as text), XLSX or CSV in. Only the rows move here; checking them is
//! `hamafza_store::sheet`'s job.

use hamafza_store::sheet::{Column, SheetRow};

/// Any table as an XLSX workbook: one right-to-left sheet, bold headers, text cells
/// (numbers where a cell parses as one, so the sheet can compute with them).
pub fn write_table_xlsx(
    sheet_name: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name(sheet_name)
        .map_err(|e| e.to_string())?
        .set_right_to_left(true);
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        let c = u16::try_from(c).map_err(|e| e.to_string())?;
        sheet
            .write_string_with_format(0, c, *h, &bold)
            .map_err(|e| e.to_string())?;
        sheet.set_column_width(c, 18.0).map_err(|e| e.to_string())?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|e| e.to_string())?;
        for (c, text) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|e| e.to_string())?;
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => sheet.write_number(r, c, v).map(|_| ()),
                _ => sheet.write_string(r, c, text).map(|_| ()),
            }
            .map_err(|e| e.to_string())?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(|e| e.to_string())?;
    book.save_to_buffer().map_err(|e| e.to_string())
}

/// An XLSX workbook of the rows, one sheet, headers in the first row.
pub fn write_xlsx(rows: &[SheetRow]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name("مصوبات")
        .map_err(|e| e.to_string())?
        .set_right_to_left(true);
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for (c, column) in Column::ALL.iter().enumerate() {
        let c = u16::try_from(c).map_err(|e| e.to_string())?;
        sheet
            .write_string_with_format(0, c, column.header(), &bold)
            .map_err(|e| e.to_string())?;
        let width = match column {
            Column::Body | Column::LatestUpdate => 60.0,
            Column::ResponsibleName | Column::ExpectedResult | Column::StateReason => 30.0,
            _ => 16.0,
        };
        sheet
            .set_column_width(c, width)
            .map_err(|e| e.to_string())?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|e| e.to_string())?;
        for (c, column) in Column::ALL.iter().enumerate() {
            let c = u16::try_from(c).map_err(|e| e.to_string())?;
            let text = row.get(column).map_or("", String::as_str);
            sheet
                .write_string_with_format(r, c, text, &wrap)
                .map_err(|e| e.to_string())?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(|e| e.to_string())?;
    book.save_to_buffer().map_err(|e| e.to_string())
}

/// A table read from a file: rows numbered as a spreadsheet shows them (header = 1).
pub type Rows = Vec<(usize, SheetRow)>;

/// Reads the first sheet of an XLSX file, or a UTF-8 CSV file, by its header row.
/// Unknown columns are ignored; a missing required column is an error.
pub fn read(bytes: &[u8]) -> Result<Rows, String> {
    let table = if bytes.starts_with(b"PK") {
        read_xlsx_cells(bytes)?
    } else {
        read_csv_cells(bytes)?
    };
    rows_from_cells(table)
}

/// A table read by its header row: each data row (numbered as a spreadsheet shows it)
/// maps the header text, trimmed, to the cell's text. Blank rows are skipped.
pub type Table = Vec<(usize, std::collections::HashMap<String, String>)>;

/// Reads any table (XLSX's first sheet or UTF-8 CSV) by its header row.
pub fn read_table(bytes: &[u8]) -> Result<Table, String> {
    let cells = if bytes.starts_with(b"PK") {
        read_xlsx_cells(bytes)?
    } else {
        read_csv_cells(bytes)?
    };
    let mut lines = cells.into_iter();
    let header: Vec<String> = lines
        .next()
        .ok_or("پرونده خالی است")?
        .into_iter()
        .map(|h| h.trim().to_string())
        .collect();
    Ok(lines
        .enumerate()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, cells)| (i + 2, header.iter().cloned().zip(cells).collect()))
        .collect())
}

fn read_xlsx_cells(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("پروندهٔ اکسل خوانده نشد: {e}"))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or("پروندهٔ اکسل برگه‌ای ندارد")?
        .map_err(|e| format!("برگهٔ نخست خوانده نشد: {e}"))?;
    Ok(range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect())
}

/// A cell as text: numbers without a trailing ".0" (a number typed into a text column).
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "بله" } else { "خیر" }.to_string(),
        other => other.to_string(),
    }
}

fn read_csv_cells(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| "پروندهٔ CSV باید UTF-8 باشد".to_string())?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("ردیف {} پروندهٔ CSV خوانده نشد: {e}", i + 1))?;
        out.push(record.iter().map(str::to_string).collect());
    }
    Ok(out)
}

fn rows_from_cells(table: Vec<Vec<String>>) -> Result<Rows, String> {
    let mut lines = table.into_iter();
    let header = lines.next().ok_or("پرونده خالی است")?;
    let columns: Vec<Option<Column>> = header.iter().map(|h| Column::from_header(h)).collect();
    for required in [Column::Number, Column::Body, Column::ResponsibleCode] {
        if !columns.contains(&Some(required)) {
            return Err(format!("ستون «{}» در ردیف نخست نیست", required.header()));
        }
    }
    Ok(lines
        .enumerate()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, cells)| {
            let row: SheetRow = columns
                .iter()
                .zip(cells)
                .filter_map(|(c, v)| c.filter(|c| !c.read_only()).map(|c| (c, v)))
                .collect();
            (i + 2, row)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: &str, body: &str) -> SheetRow {
        [
            (Column::Number, number.to_string()),
            (Column::Body, body.to_string()),
            (Column::ResponsibleCode, "teh-welfare".to_string()),
            (Column::ResponsibleName, "بهزیستی".to_string()),
            (Column::Deadline, "۱۴۰۴/۰۸/۳۰".to_string()),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn xlsx_round_trips_rows_without_the_read_only_columns() {
        let rows = vec![
            row("۱۴۰۴/۱", "متن «یک»\nدو خط"),
            row("۱۴۰۴/۲", "=1+1 نه یک فرمول"),
        ];
        let bytes = write_xlsx(&rows).expect("write");
        let back = read(&bytes).expect("read");
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].0, 2, "the first data row is row 2");
        let mut expected = rows[0].clone();
        expected.remove(&Column::ResponsibleName);
        for (c, v) in &expected {
            assert_eq!(back[0].1.get(c), Some(v), "{c:?}");
        }
        assert!(!back[0].1.contains_key(&Column::ResponsibleName));
        assert_eq!(
            back[1].1[&Column::Body],
            "=1+1 نه یک فرمول",
            "text stays text"
        );
    }

    #[test]
    fn csv_is_read_by_header_with_arabic_letter_forms_and_a_bom() {
        let csv = "\u{FEFF}شماره,متن مصوبه,كد دستگاه مسئول,ستون دیگر\n1404/3,\"متن، با ویرگول\",teh-police,x\n,,,\n";
        let rows = read(csv.as_bytes()).expect("read");
        assert_eq!(rows.len(), 1, "blank rows are skipped");
        assert_eq!(rows[0].1[&Column::ResponsibleCode], "teh-police");
        assert_eq!(rows[0].1[&Column::Body], "متن، با ویرگول");
        let missing = read("شماره,متن مصوبه\n1404/1,x\n".as_bytes()).expect_err("no agency column");
        assert!(missing.contains("کد دستگاه مسئول"), "{missing}");
    }
}
