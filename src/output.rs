//! Result output for people and machines: one `--format` switch over Arrow record batches.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

/// How a command prints its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Aligned table for people.
    Table,
    /// CSV with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
    /// Apache Parquet (needs `--output` or a non-terminal stdout).
    Parquet,
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("refusing to write parquet to a terminal; hint: add `--output FILE` or redirect stdout")]
    BinaryToTerminal,
}

/// Render `batches` in `format` into a byte buffer.
pub fn render(schema: &SchemaRef, batches: &[RecordBatch], format: Format) -> Result<Vec<u8>, OutputError> {
    let mut buf = Vec::new();
    match format {
        Format::Table => {
            let table = if batches.iter().all(|b| b.num_rows() == 0) {
                let empty = RecordBatch::new_empty(Arc::clone(schema));
                arrow::util::pretty::pretty_format_batches(&[empty])?
            } else {
                arrow::util::pretty::pretty_format_batches(batches)?
            };
            writeln!(buf, "{table}")?;
        }
        Format::Csv => {
            let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(&mut buf);
            if batches.is_empty() {
                w.write(&RecordBatch::new_empty(Arc::clone(schema)))?;
            }
            for b in batches {
                w.write(b)?;
            }
        }
        Format::Json => {
            let mut w = arrow::json::ArrayWriter::new(&mut buf);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            if buf.is_empty() {
                buf.extend_from_slice(b"[]");
            }
            buf.push(b'\n');
        }
        Format::Parquet => {
            let props = parquet::file::properties::WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                .build();
            let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, Arc::clone(schema), Some(props))?;
            for b in batches {
                w.write(b)?;
            }
            w.close()?;
        }
    }
    Ok(buf)
}

/// Write `batches` to `output` (atomically: temp file then rename) or to stdout.
pub fn emit(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: Format,
    output: Option<&Path>,
) -> Result<(), OutputError> {
    if output.is_none() && format == Format::Parquet && std::io::stdout().is_terminal() {
        return Err(OutputError::BinaryToTerminal);
    }
    let bytes = render(schema, batches, format)?;
    match output {
        Some(path) => write_file_atomic(path, &bytes)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// Write a whole file through a temporary sibling and a rename, so readers never see it torn.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    fn sample() -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, false),
            Field::new("x", DataType::Float64, true),
        ]));
        let b = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(vec!["a", "b"])),
                Arc::new(Float64Array::from(vec![Some(1.5), None])),
            ],
        )
        .unwrap();
        (schema, vec![b])
    }

    #[test]
    fn every_format_renders() {
        let (s, b) = sample();
        let t = String::from_utf8(render(&s, &b, Format::Table).unwrap()).unwrap();
        assert!(t.contains("| name | x   |"), "{t}");
        let c = String::from_utf8(render(&s, &b, Format::Csv).unwrap()).unwrap();
        assert_eq!(c, "name,x\na,1.5\nb,\n");
        let j: serde_json::Value = serde_json::from_slice(&render(&s, &b, Format::Json).unwrap()).unwrap();
        assert_eq!(j[0]["x"], 1.5);
        let p = render(&s, &b, Format::Parquet).unwrap();
        assert_eq!(&p[..4], b"PAR1");
    }

    #[test]
    fn empty_results_still_have_a_shape() {
        let (s, _) = sample();
        let c = String::from_utf8(render(&s, &[], Format::Csv).unwrap()).unwrap();
        assert_eq!(c, "name,x\n");
        let j = String::from_utf8(render(&s, &[], Format::Json).unwrap()).unwrap();
        assert_eq!(j.trim(), "[]");
    }
}
