//! Choosing a content coding from `Accept-Encoding` (RFC 9110 §12.5.3).

use asset_contract::Encoding;

/// A content coding the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Br,
    Gzip,
    Identity,
}

impl Coding {
    /// The precompressed sibling it is served from, if any.
    fn encoding(self) -> Option<Encoding> {
        match self {
            Coding::Br => Some(Encoding::Br),
            Coding::Gzip => Some(Encoding::Gzip),
            Coding::Identity => None,
        }
    }

    /// The `Content-Encoding` value, if any.
    pub(crate) fn header(self) -> Option<&'static str> {
        self.encoding().map(Encoding::header_value)
    }

    /// Suffix of the sibling file, and of the ETag.
    pub(crate) fn suffix(self) -> &'static str {
        self.encoding().map_or("", Encoding::suffix)
    }
}

/// The q-value (0 to 1000) the header gives `coding`, if it names it.
fn q_of(header: &str, coding: &str) -> Option<u16> {
    let mut found = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        if !name.eq_ignore_ascii_case(coding) {
            continue;
        }
        let mut q = 1000;
        for param in parts {
            if let Some((key, value)) = param.split_once('=')
                && key.trim().eq_ignore_ascii_case("q")
            {
                q = parse_q(value.trim()).unwrap_or(0);
            }
        }
        found = Some(q);
    }
    found
}

/// A q-value, `0`, `0.5`, `1.000`, as thousandths.
fn parse_q(text: &str) -> Option<u16> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut thousandths: u16 = 0;
    for (i, digit) in frac.bytes().enumerate() {
        thousandths += u16::from(digit - b'0') * [100, 10, 1][i];
    }
    let q = whole + thousandths;
    (q <= 1000).then_some(q)
}

/// The best coding among those available: the highest q-value, and on a
/// tie Brotli, then gzip, then identity. Without the header, identity.
/// Identity is acceptable unless `identity;q=0`, or `*;q=0` without
/// `identity`; if nothing acceptable is available, identity is sent anyway.
pub(crate) fn choose(header: Option<&str>, br: bool, gzip: bool) -> Coding {
    let Some(header) = header else {
        return Coding::Identity;
    };
    let star = q_of(header, "*");
    let q = |name: &str, available: bool| {
        if !available {
            return 0;
        }
        q_of(header, name).or(star).unwrap_or(0)
    };
    let identity = q_of(header, "identity").or(star.filter(|q| *q == 0)).unwrap_or(1);
    let candidates = [
        (Coding::Br, q(Encoding::Br.header_value(), br)),
        (Coding::Gzip, q(Encoding::Gzip.header_value(), gzip)),
        (Coding::Identity, identity),
    ];
    candidates
        .iter()
        .filter(|(_, q)| *q > 0)
        .max_by(|a, b| a.1.cmp(&b.1).then(std::cmp::Ordering::Greater))
        .map_or(Coding::Identity, |(coding, _)| *coding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_brotli_then_gzip_on_ties() {
        assert_eq!(choose(Some("gzip, deflate, br"), true, true), Coding::Br);
        assert_eq!(choose(Some("gzip, br"), false, true), Coding::Gzip);
        assert_eq!(choose(Some("gzip, br"), false, false), Coding::Identity);
        assert_eq!(choose(None, true, true), Coding::Identity);
    }

    #[test]
    fn follows_q_values() {
        assert_eq!(choose(Some("br;q=0.5, gzip;q=0.8"), true, true), Coding::Gzip);
        assert_eq!(choose(Some("br;q=0, gzip"), true, true), Coding::Gzip);
        assert_eq!(choose(Some("*"), true, true), Coding::Br);
        assert_eq!(choose(Some("identity;q=1, br;q=0.9"), true, true), Coding::Identity);
        assert_eq!(choose(Some("identity"), true, true), Coding::Identity);
        assert_eq!(choose(Some("BR;Q=1.000"), true, false), Coding::Br);
        assert_eq!(choose(Some("br;q=2"), true, false), Coding::Identity);
    }
}
