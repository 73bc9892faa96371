//! QR codes of short URLs, as SVG or PNG. The `qrcode` crate encodes; the drawing is
//! done here (one SVG path, a 1-bit grayscale PNG), so no image library is linked.

use link_core::FieldError;
use qrcode::{Color, EcLevel, QrCode};

use crate::query::given;

/// Bounds of the image's side in pixels, and its default.
pub const MIN_SIZE: u32 = 64;
pub const MAX_SIZE: u32 = 2048;
pub const DEFAULT_SIZE: u32 = 512;
/// The light border around the code, in modules: the standard asks for 4.
pub const DEFAULT_MARGIN: u32 = 4;
pub const MAX_MARGIN: u32 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Svg => "image/svg+xml",
            Self::Png => "image/png",
        }
    }
}

/// How to draw a code, from the request's query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QrOptions {
    pub format: Format,
    /// Side of the (square) image in pixels.
    pub size: u32,
    /// Quiet zone in modules.
    pub margin: u32,
    pub level: EcLevel,
}

impl QrOptions {
    pub fn parse(
        format: Option<&str>,
        size: Option<&str>,
        margin: Option<&str>,
        level: Option<&str>,
    ) -> Result<Self, FieldError> {
        let format = match given(format).map(str::to_ascii_lowercase).as_deref() {
            None | Some("svg") => Format::Svg,
            Some("png") => Format::Png,
            Some(_) => return Err(FieldError::new("format", "must be svg or png")),
        };
        let number = |raw: Option<&str>,
                      field: &'static str,
                      range: std::ops::RangeInclusive<u32>,
                      default| {
            match given(raw) {
                None => Ok(default),
                Some(raw) => raw
                    .parse()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or_else(|| {
                        FieldError::new(
                            field,
                            format!(
                                "must be a whole number from {} to {}",
                                range.start(),
                                range.end()
                            ),
                        )
                    }),
            }
        };
        let size = number(size, "size", MIN_SIZE..=MAX_SIZE, DEFAULT_SIZE)?;
        let margin = number(margin, "margin", 0..=MAX_MARGIN, DEFAULT_MARGIN)?;
        let level = match given(level).map(str::to_ascii_uppercase).as_deref() {
            // M restores about 15% of a damaged or covered code: the usual choice.
            None | Some("M") => EcLevel::M,
            Some("L") => EcLevel::L,
            Some("Q") => EcLevel::Q,
            Some("H") => EcLevel::H,
            Some(_) => return Err(FieldError::new("level", "must be L, M, Q or H")),
        };
        Ok(Self {
            format,
            size,
            margin,
            level,
        })
    }

    /// The image of `text` in the requested format.
    pub fn draw(&self, text: &str) -> Result<Vec<u8>, FieldError> {
        let code = QrCode::with_error_correction_level(text, self.level).map_err(|_| {
            FieldError::new("level", "the URL does not fit a QR code at this level")
        })?;
        let grid = Grid::new(&code, self.margin);
        Ok(match self.format {
            Format::Svg => grid.svg(self.size).into_bytes(),
            Format::Png => grid.png(self.size),
        })
    }
}

/// The code's modules with the quiet zone around them: `true` is dark.
struct Grid {
    side: usize,
    dark: Vec<bool>,
}

impl Grid {
    fn new(code: &QrCode, margin: u32) -> Self {
        let width = code.width();
        let margin = margin as usize;
        let side = width + 2 * margin;
        let mut dark = vec![false; side * side];
        for (at, color) in code.to_colors().into_iter().enumerate() {
            if color == Color::Dark {
                let (x, y) = (at % width + margin, at / width + margin);
                dark[y * side + x] = true;
            }
        }
        Self { side, dark }
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.side + x]
    }

    /// One path of one rectangle per run of dark modules in a row, in module units,
    /// scaled to `size` pixels by the viewBox.
    fn svg(&self, size: u32) -> String {
        use std::fmt::Write;
        let side = self.side;
        let mut path = String::with_capacity(self.dark.len() * 4);
        for y in 0..side {
            let mut x = 0;
            while x < side {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < side && self.is_dark(x, y) {
                    x += 1;
                }
                let run = x - start;
                let _ = write!(path, "M{start} {y}h{run}v1h-{run}z");
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" \
             viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
             <path fill=\"#000\" d=\"{path}\"/></svg>"
        )
    }

    /// A `size`-pixel square, whole pixels per module (crisp for scanners); what does not
    /// divide evenly widens the quiet zone.
    fn png(&self, size: u32) -> Vec<u8> {
        let side = self.side as u32;
        let module = (size / side).max(1);
        let pixels = size.max(module * side);
        let offset = (pixels - module * side) / 2;
        let row_bytes = pixels.div_ceil(8) as usize;
        // Grayscale at one bit a pixel: 1 is white.
        let mut image = vec![0xFF_u8; row_bytes * pixels as usize];
        for py in 0..pixels {
            for px in 0..pixels {
                let dark = match (px.checked_sub(offset), py.checked_sub(offset)) {
                    (Some(x), Some(y)) if x < module * side && y < module * side => {
                        self.is_dark((x / module) as usize, (y / module) as usize)
                    }
                    _ => false,
                };
                if dark {
                    let byte = py as usize * row_bytes + px as usize / 8;
                    image[byte] &= !(0x80 >> (px % 8));
                }
            }
        }
        let mut out = Vec::with_capacity(image.len() / 4 + 128);
        let mut encoder = png::Encoder::new(&mut out, pixels, pixels);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        // Writing to a Vec fails only on a header that disagrees with the data, which
        // is built above to match it.
        let written = encoder
            .write_header()
            .and_then(|mut writer| writer.write_image_data(&image));
        if let Err(error) = written {
            tracing::error!(%error, "PNG encoding failed");
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(query: [Option<&str>; 4]) -> Result<QrOptions, FieldError> {
        QrOptions::parse(query[0], query[1], query[2], query[3])
    }

    #[test]
    fn options_default_and_are_bounded() {
        let default = options([None; 4]).unwrap();
        assert_eq!(
            default,
            QrOptions {
                format: Format::Svg,
                size: DEFAULT_SIZE,
                margin: DEFAULT_MARGIN,
                level: EcLevel::M
            }
        );
        let png = options([Some("PNG"), Some("300"), Some("0"), Some("h")]).unwrap();
        assert_eq!((png.format, png.size, png.margin), (Format::Png, 300, 0));
        assert_eq!(png.level, EcLevel::H);
        for (query, field) in [
            ([Some("gif"), None, None, None], "format"),
            ([None, Some("63"), None, None], "size"),
            ([None, Some("2049"), None, None], "size"),
            ([None, Some("5.5"), None, None], "size"),
            ([None, None, Some("17"), None], "margin"),
            ([None, None, Some("-1"), None], "margin"),
            ([None, None, None, Some("X")], "level"),
        ] {
            assert_eq!(options(query).unwrap_err().field, field, "{query:?}");
        }
    }

    /// The SVG's rectangles, read back, are exactly the code's dark modules.
    #[test]
    fn the_svg_draws_every_dark_module_and_nothing_else() {
        let code = QrCode::new("https://go.acme.test/summer").unwrap();
        let grid = Grid::new(&code, 2);
        let svg = grid.svg(256);
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.contains("width=\"256\""));
        let path = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let mut drawn = vec![false; grid.side * grid.side];
        for rect in path.split('z').filter(|r| !r.is_empty()) {
            let numbers: Vec<usize> = rect
                .trim_start_matches('M')
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(|n| n.parse().unwrap())
                .collect();
            let (x, y, run) = (numbers[0], numbers[1], numbers[2]);
            for dx in 0..run {
                drawn[y * grid.side + x + dx] = true;
            }
        }
        assert_eq!(drawn, grid.dark);
        let width = code.width();
        assert!(grid.is_dark(2, 2), "the finder pattern's corner");
        assert!(
            !grid.is_dark(1, 1) && !grid.is_dark(width + 2, width + 2),
            "the margin"
        );
    }

    #[test]
    fn a_url_too_long_for_any_code_is_a_clear_error() {
        let url = format!("https://go.acme.test/{}", "a".repeat(4000));
        let error = QrOptions::parse(None, None, None, Some("H"))
            .unwrap()
            .draw(&url)
            .unwrap_err();
        assert_eq!(error.field, "level");
    }
}
