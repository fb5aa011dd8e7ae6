//! Choosing a content coding from `Accept-Encoding` (RFC 9110 §12.5.3).

use asset_contract::Encoding;

/// A content coding the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Br,
    Zstd,
    Gzip,
    Identity,
}

impl Coding {
    /// The precompressed sibling it is served from, if any.
    fn encoding(self) -> Option<Encoding> {
        match self {
            Coding::Br => Some(Encoding::Br),
            Coding::Zstd => Some(Encoding::Zstd),
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

/// The precompressed siblings a file has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Available {
    pub(crate) br: bool,
    pub(crate) zstd: bool,
    pub(crate) gzip: bool,
}

impl Available {
    /// Whether there is any (and so `Vary: Accept-Encoding`).
    pub(crate) fn any(self) -> bool {
        self.br || self.zstd || self.gzip
    }
}

/// The best coding among those available: the highest q-value, and on a
/// tie Brotli, then zstd, then gzip, then identity (the order of
/// [`Encoding::ALL`]). Without the header, identity. Identity is
/// acceptable unless `identity;q=0`, or `*;q=0` without `identity`; if
/// nothing acceptable is available, identity is sent anyway.
pub(crate) fn choose(header: Option<&str>, available: Available) -> Coding {
    let Some(header) = header else {
        return Coding::Identity;
    };
    let star = q_of(header, "*");
    let q = |coding: Coding, available: bool| {
        let Some(name) = coding.header().filter(|_| available) else {
            return 0;
        };
        q_of(header, name).or(star).unwrap_or(0)
    };
    let identity = q_of(header, "identity").or(star.filter(|q| *q == 0)).unwrap_or(1);
    let candidates = [
        (Coding::Br, q(Coding::Br, available.br)),
        (Coding::Zstd, q(Coding::Zstd, available.zstd)),
        (Coding::Gzip, q(Coding::Gzip, available.gzip)),
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

    const BR_GZ: Available = Available {
        br: true,
        zstd: false,
        gzip: true,
    };
    const ALL: Available = Available {
        br: true,
        zstd: true,
        gzip: true,
    };
    const GZ: Available = Available {
        br: false,
        zstd: false,
        gzip: true,
    };
    const ZSTD_GZ: Available = Available {
        br: false,
        zstd: true,
        gzip: true,
    };

    #[test]
    fn prefers_brotli_then_zstd_then_gzip_on_ties() {
        assert_eq!(choose(Some("gzip, deflate, br"), BR_GZ), Coding::Br);
        assert_eq!(choose(Some("gzip, br"), GZ), Coding::Gzip);
        assert_eq!(choose(Some("gzip, br"), Available::default()), Coding::Identity);
        assert_eq!(choose(None, ALL), Coding::Identity);
        // What Chrome and Firefox send.
        assert_eq!(choose(Some("gzip, deflate, br, zstd"), ALL), Coding::Br);
        assert_eq!(choose(Some("gzip, deflate, br, zstd"), ZSTD_GZ), Coding::Zstd);
        assert_eq!(choose(Some("gzip, deflate, br, zstd"), BR_GZ), Coding::Br);
        assert_eq!(choose(Some("gzip, zstd"), ALL), Coding::Zstd);
        assert_eq!(choose(Some("*"), ZSTD_GZ), Coding::Zstd);
        assert_eq!(choose(Some("zstd"), BR_GZ), Coding::Identity);
    }

    #[test]
    fn follows_q_values() {
        assert_eq!(choose(Some("br;q=0.5, gzip;q=0.8"), BR_GZ), Coding::Gzip);
        assert_eq!(choose(Some("br;q=0, gzip"), BR_GZ), Coding::Gzip);
        assert_eq!(choose(Some("*"), BR_GZ), Coding::Br);
        assert_eq!(choose(Some("identity;q=1, br;q=0.9"), BR_GZ), Coding::Identity);
        assert_eq!(choose(Some("identity"), BR_GZ), Coding::Identity);
        assert_eq!(
            choose(Some("BR;Q=1.000"), Available { gzip: false, ..BR_GZ }),
            Coding::Br
        );
        assert_eq!(
            choose(Some("br;q=2"), Available { gzip: false, ..BR_GZ }),
            Coding::Identity
        );
        // An explicit higher q wins over the order of preference.
        assert_eq!(choose(Some("br;q=0.5, zstd;q=0.9, gzip"), ALL), Coding::Gzip);
        assert_eq!(choose(Some("br;q=0.5, zstd, gzip;q=0.9"), ALL), Coding::Zstd);
        assert_eq!(choose(Some("br;q=0.9, zstd;q=0.95"), ALL), Coding::Zstd);
        assert_eq!(choose(Some("zstd;q=0.5, gzip"), ALL), Coding::Gzip);
        assert_eq!(choose(Some("br;q=0, *"), ALL), Coding::Zstd);
        assert_eq!(choose(Some("zstd;q=0, br;q=0, *;q=0.5"), ALL), Coding::Gzip);
        assert_eq!(choose(Some("ZSTD;q=0.7, identity;q=0.6"), ALL), Coding::Zstd);
    }
}
