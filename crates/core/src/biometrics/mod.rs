//! Biometrics, with dignity (issue 13 point 6): Hamafza never stores an image. A capture
//! device sends a *template* (the device's own feature encoding of a face, a finger or
//! an iris); Hamafza seals it at rest, keeps only an opaque reference id beside the
//! person, and asks a matcher — an ABIS, behind the contract of MOSIP's ABIS API
//! ([`abis`]) — whether the same template is already on record under another reference.
//!
//! The matcher shipped for the demo and the tests is a **stand-in**
//! ([`stand_in::StandInMatcher`]): cosine similarity over a documented vector template
//! ([`VectorTemplate`]). It is not a biometric algorithm; a real deployment points
//! Hamafza at its ABIS.
//!
//! Pure: no I/O, no clock. The store seals and keeps; the web crate sends.

pub mod abis;
pub mod stand_in;

use serde::{Deserialize, Serialize};

/// The template format the stand-in matcher reads: 128 little-endian IEEE-754 `f32`s
/// (512 bytes), a feature vector as face and finger encoders produce them. Any other
/// format is passed to an external ABIS unread.
pub const VECTOR_FORMAT: &str = "hamafza-vector-v1";
/// Numbers in a [`VECTOR_FORMAT`] template.
pub const VECTOR_DIMENSION: usize = 128;
/// The largest template accepted in any format (a device's template is kilobytes; an
/// image would be far larger — and is never wanted).
pub const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

/// What was captured (MOSIP's biometric types: FID, FIR, IIR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    Face,
    Finger,
    Iris,
}

impl Modality {
    pub const ALL: [Modality; 3] = [Modality::Face, Modality::Finger, Modality::Iris];

    pub fn code(self) -> &'static str {
        match self {
            Modality::Face => "face",
            Modality::Finger => "finger",
            Modality::Iris => "iris",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code.trim())
    }

    /// The biometric type's name in MOSIP's contract.
    pub fn mosip_type(self) -> &'static str {
        match self {
            Modality::Face => "FID",
            Modality::Finger => "FIR",
            Modality::Iris => "IIR",
        }
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            Modality::Face => "چهره",
            Modality::Finger => "اثر انگشت",
            Modality::Iris => "عنبیه",
        }
    }
}

/// Why a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("الگو خالی است")]
    Empty,
    #[error(
        "الگو بزرگ‌تر از حد است (بیشینه {max} بایت): یک تصویر فرستاده‌اید؟ فقط الگوی دستگاه پذیرفته می‌شود"
    )]
    TooLarge { max: usize },
    #[error("الگوی {VECTOR_FORMAT} باید {expected} بایت باشد، {got} بایت رسید")]
    WrongLength { expected: usize, got: usize },
    #[error("الگو عدد نامعتبر (NaN یا بی‌نهایت) دارد")]
    NotFinite,
    #[error("الگو بردار صفر است")]
    Zero,
    #[error("قالب الگو نام ندارد")]
    NoFormat,
}

/// Checks a template as it arrives: never empty, never image-sized, and a
/// [`VECTOR_FORMAT`] template a vector the stand-in can compare.
pub fn check_template(format: &str, bytes: &[u8]) -> Result<(), TemplateError> {
    if format.trim().is_empty() {
        return Err(TemplateError::NoFormat);
    }
    if bytes.is_empty() {
        return Err(TemplateError::Empty);
    }
    if bytes.len() > MAX_TEMPLATE_BYTES {
        return Err(TemplateError::TooLarge {
            max: MAX_TEMPLATE_BYTES,
        });
    }
    if format == VECTOR_FORMAT {
        VectorTemplate::from_bytes(bytes)?;
    }
    Ok(())
}

/// A [`VECTOR_FORMAT`] template, normalised to unit length.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorTemplate(Vec<f32>);

impl VectorTemplate {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TemplateError> {
        let expected = VECTOR_DIMENSION * 4;
        if bytes.len() != expected {
            return Err(TemplateError::WrongLength {
                expected,
                got: bytes.len(),
            });
        }
        let v: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if v.iter().any(|x| !x.is_finite()) {
            return Err(TemplateError::NotFinite);
        }
        let norm = v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return Err(TemplateError::Zero);
        }
        Ok(VectorTemplate(
            v.into_iter()
                .map(|x| (f64::from(x) / norm) as f32)
                .collect(),
        ))
    }

    /// The template as a device would send it.
    pub fn to_bytes(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    /// Cosine similarity, in [-1, 1].
    pub fn cosine(&self, other: &VectorTemplate) -> f64 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum::<f64>()
            .clamp(-1.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(seed: u32) -> Vec<f32> {
        (0..VECTOR_DIMENSION as u32)
            .map(|i| ((i * 7919 + seed * 104_729) % 1000) as f32 / 1000.0 - 0.5)
            .collect()
    }

    #[test]
    fn a_vector_template_reads_back_and_compares() {
        let a = VectorTemplate::from_bytes(&VectorTemplate::to_bytes(&vector(1))).unwrap();
        let b = VectorTemplate::from_bytes(&VectorTemplate::to_bytes(&vector(2))).unwrap();
        assert!((a.cosine(&a) - 1.0).abs() < 1e-6);
        assert!(a.cosine(&b) < 0.9);
        // Scale does not matter: the template is normalised.
        let scaled: Vec<f32> = vector(1).iter().map(|x| x * 3.0).collect();
        let c = VectorTemplate::from_bytes(&VectorTemplate::to_bytes(&scaled)).unwrap();
        assert!((a.cosine(&c) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn bad_templates_are_refused_with_the_reason() {
        assert_eq!(
            check_template(VECTOR_FORMAT, &[]),
            Err(TemplateError::Empty)
        );
        assert_eq!(
            check_template(VECTOR_FORMAT, &[0; 100]),
            Err(TemplateError::WrongLength {
                expected: 512,
                got: 100
            })
        );
        assert_eq!(
            check_template(VECTOR_FORMAT, &[0; 512]),
            Err(TemplateError::Zero)
        );
        let mut nan = VectorTemplate::to_bytes(&vector(1));
        nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(
            check_template(VECTOR_FORMAT, &nan),
            Err(TemplateError::NotFinite)
        );
        assert_eq!(
            check_template("iso-19794-2", &vec![1; MAX_TEMPLATE_BYTES + 1]),
            Err(TemplateError::TooLarge {
                max: MAX_TEMPLATE_BYTES
            })
        );
        // Another format is the ABIS's to read.
        assert_eq!(check_template("iso-19794-2", &[1, 2, 3]), Ok(()));
        assert_eq!(check_template(" ", &[1]), Err(TemplateError::NoFormat));
    }
}
