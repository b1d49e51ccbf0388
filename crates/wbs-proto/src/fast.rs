//! A fast path for the getmeas response of the shape the service sends: known keys, plain
//! integers, strings without escapes. On anything else it answers `None` and the general
//! decoder (`decode.rs`) decides; whenever it answers, its result equals the general
//! decoder's (checked by a differential property test and fuzz target).

use wbs_model::{
    wire, DecodedPage, GroupExtra, Measure, MeasureExtra, MeasureGroup, MeasurePage, MeasureType,
    More, Timestamp,
};

/// Decodes a whole getmeas response, or `None` to defer to the general decoder.
pub(crate) fn getmeas(body: &[u8]) -> Option<DecodedPage> {
    let mut p = Parser { b: body, i: 0 };
    let mut status = None;
    let mut page = None;
    let mut seen = 0u32;
    p.object(|p, key| {
        let bit = match key {
            b"status" => 1,
            b"body" => 2,
            _ => return None,
        };
        seen = once(seen, bit)?;
        if bit == 1 {
            status = Some(p.int()?);
        } else {
            page = Some(p.page()?);
        }
        Some(())
    })?;
    p.ws();
    if p.i != body.len() || status != Some(0) {
        return None;
    }
    Some(DecodedPage {
        page: page?,
        skipped: Vec::new(),
    })
}

/// Sets a key's bit, or `None` if it was already set (a duplicate key).
fn once(seen: u32, bit: u32) -> Option<u32> {
    (seen & bit == 0).then_some(seen | bit)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// The raw bytes of a string without escapes or control characters.
    fn raw_string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
        let s = self.b.get(start..self.i)?;
        self.i += 1;
        Some(s)
    }

    /// `{ "key": value, … }`, calling `field` with the parser positioned at each value.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        let mut done = self.open(b'{', b'}')?;
        while !done {
            let key = self.raw_string()?;
            self.eat(b':')?;
            field(self, key)?;
            done = self.after_item(b'}')?;
        }
        Some(())
    }

    /// An object of known keys, each at most once: `index` gives a key's index (`None`
    /// for a key the fast path does not read, which defers, as does a repeated key), and
    /// `field` reads the value of the key at that index.
    fn fields(
        &mut self,
        index: fn(&[u8]) -> Option<usize>,
        mut field: impl FnMut(&mut Self, usize) -> Option<()>,
    ) -> Option<()> {
        let mut seen = 0u32;
        self.object(|p, key| {
            let i = index(key)?;
            seen = once(seen, 1 << i)?;
            field(p, i)
        })
    }

    /// `[ item, … ]`.
    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        let mut done = self.open(b'[', b']')?;
        while !done {
            item(self)?;
            done = self.after_item(b']')?;
        }
        Some(())
    }

    /// Takes the opening byte of an object or array; whether it is closed at once (empty).
    fn open(&mut self, open: u8, close: u8) -> Option<bool> {
        self.eat(open)?;
        let empty = self.peek()? == close;
        if empty {
            self.i += 1;
        }
        Some(empty)
    }

    /// Takes what follows an item: `,` (more follow: `false`) or the closing byte (`true`).
    fn after_item(&mut self, close: u8) -> Option<bool> {
        let b = self.peek()?;
        self.i += 1;
        match b {
            b',' => Some(false),
            b if b == close => Some(true),
            _ => None,
        }
    }

    /// A JSON integer that fits `i64` (no fraction, no exponent, no leading zero).
    fn int(&mut self) -> Option<i64> {
        self.ws();
        let negative = self.b.get(self.i) == Some(&b'-');
        if negative {
            self.i += 1;
        }
        let start = self.i;
        let mut v: u64 = 0;
        while let Some(&d @ b'0'..=b'9') = self.b.get(self.i) {
            v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            self.i += 1;
        }
        let digits = self.i - start;
        if digits == 0 || (digits > 1 && self.b.get(start) == Some(&b'0')) {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.b.get(self.i) {
            return None;
        }
        if negative {
            i64::try_from(-i128::from(v)).ok()
        } else {
            i64::try_from(v).ok()
        }
    }

    fn null(&mut self) -> Option<()> {
        self.ws();
        let rest = self.b.get(self.i..)?;
        rest.starts_with(b"null").then(|| self.i += 4)
    }

    fn opt_int(&mut self) -> Option<Option<i64>> {
        if self.peek()? == b'n' {
            self.null().map(|()| None)
        } else {
            self.int().map(Some)
        }
    }

    fn opt_text(&mut self) -> Option<Option<String>> {
        match self.peek()? {
            b'n' => self.null().map(|()| None),
            b'"' => {
                let raw = self.raw_string()?;
                std::str::from_utf8(raw).ok().map(|s| Some(s.to_owned()))
            }
            _ => None,
        }
    }

    fn page(&mut self) -> Option<MeasurePage> {
        let (mut updatetime, mut more, mut offset, mut timezone) =
            (None, More::default(), None, None);
        let mut groups = Vec::new();
        let mut seen = 0u32;
        self.object(|p, key| {
            match key {
                b"updatetime" => {
                    seen = once(seen, 1)?;
                    updatetime = Some(p.int()?);
                }
                b"more" => {
                    seen = once(seen, 2)?;
                    more = match p.peek()? {
                        b't' | b'f' => More::Flag(p.boolean()?),
                        b'n' => p.null().map(|()| More::default())?,
                        // A negative count is the general decoder's to refuse.
                        _ => More::Remaining(u64::try_from(p.int()?).ok()?),
                    };
                }
                b"offset" => {
                    seen = once(seen, 4)?;
                    // A negative offset is the general decoder's to refuse.
                    offset = p.opt_int()?.map(u64::try_from).transpose().ok()?;
                }
                b"timezone" => {
                    seen = once(seen, 8)?;
                    timezone = p.opt_text()?;
                }
                b"measuregrps" => {
                    seen = once(seen, 16)?;
                    p.array(|p| {
                        groups.push(p.group()?);
                        Some(())
                    })?;
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(MeasurePage {
            updatetime: Timestamp::from_secs(updatetime?),
            more,
            offset,
            timezone,
            measuregrps: groups,
        })
    }

    fn boolean(&mut self) -> Option<bool> {
        self.ws();
        let rest = self.b.get(self.i..)?;
        if rest.starts_with(b"true") {
            self.i += 4;
            Some(true)
        } else if rest.starts_with(b"false") {
            self.i += 5;
            Some(false)
        } else {
            None
        }
    }

    fn group(&mut self) -> Option<MeasureGroup> {
        let (mut grpid, mut attrib, mut date, mut category) = (None, None, None, None);
        let mut measures = None;
        let mut extra = GroupExtra::default();
        // Each key at its index in wbs-model's one list of a group's wire names.
        self.fields(wire::group_field, |p, i| {
            match i {
                0 => grpid = Some(p.int()?),
                1 => attrib = Some(p.int()?),
                2 => date = Some(p.int()?),
                3 => category = Some(p.int()?),
                4 => extra.created = p.opt_int()?.map(Timestamp::from_secs),
                5 => extra.modified = p.opt_int()?.map(Timestamp::from_secs),
                6 => extra.modelid = p.opt_int()?,
                7 => extra.deviceid = p.opt_text()?,
                8 => extra.hash_deviceid = p.opt_text()?,
                9 => extra.model = p.opt_text()?,
                10 => extra.timezone = p.opt_text()?,
                11 => extra.comment = p.opt_text()?,
                _ => {
                    let mut list = Vec::with_capacity(4);
                    p.array(|p| {
                        list.push(p.measure()?);
                        Some(())
                    })?;
                    measures = Some(list);
                }
            }
            Some(())
        })?;
        Some(MeasureGroup::from_wire(
            grpid?, attrib?, date?, category?, measures?, extra,
        ))
    }

    fn measure(&mut self) -> Option<Measure> {
        let (mut value, mut unit, mut kind) = (None, None, None);
        let mut extra = MeasureExtra::default();
        self.fields(wire::measure_field, |p, i| {
            match i {
                0 => value = Some(p.int()?),
                1 => unit = Some(i32::try_from(p.int()?).ok()?),
                2 => kind = Some(p.int()?),
                3 => extra.position = p.opt_int()?,
                4 => extra.algo = p.opt_int()?,
                _ => extra.fm = p.opt_int()?,
            }
            Some(())
        })?;
        let mut m = Measure::new(MeasureType::from_code(kind?), value?, unit?);
        if !extra.is_empty() {
            m.extra = Some(Box::new(extra));
        }
        Some(m)
    }
}
