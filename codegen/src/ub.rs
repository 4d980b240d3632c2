//! UB buffers declared once: a kernel's description lists its unified-buffer allocations (name,
//! position, depth, size as an expression of tiling fields and element sizes), and from that one
//! list the generator emits
//!
//! - the kernel's `InitBuffer` plan: a C++ struct holding every `TQue`/`TBuf` and an `Init` that
//!   allocates them (`ascendc/kernels/<kernel>/<kernel>_ub.h`, committed and checked for drift);
//! - the Rust UB accounting the host tiling plans with (`<kernel>_ub_buffers` / `_ub_bytes` in
//!   `ak_kernels.rs`), byte for byte what the `Init` allocates;
//! - the UB table of `docs/kernels/<kernel>.md` (between `<!-- ub-table -->` markers, checked for
//!   drift).
//!
//! Size expressions are a small language, written as C-like text in the description:
//! non-negative integers, tiling field names, names bound earlier in the plan's `lets`, the
//! constants of [`CONSTANTS`], `sizeof(X)` of a type parameter of the kernel or of a fixed type
//! (`float`, `half`, `bfloat16_t`, `int16_t`, `uint16_t`, `int32_t`, `uint32_t`, `uint8_t`,
//! `int8_t`), `+`, `-`, `*`, `/` (integer division), parentheses, `align_up(n, a)` (n rounded up
//! to a multiple of a) and `ceil_div(n, d)`.

use crate::writer::SourceWriter;

/// Where a buffer lives in the AscendC queue model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// `TQue<QuePosition::VECIN, depth>`: GM -> UB staging.
    VecIn,
    /// `TQue<QuePosition::VECOUT, depth>`: UB -> GM staging.
    VecOut,
    /// `TBuf<TPosition::VECCALC>`: vector scratch (depth 1).
    VecCalc,
}

impl Position {
    fn name(self) -> &'static str {
        match self {
            Position::VecIn => "VECIN",
            Position::VecOut => "VECOUT",
            Position::VecCalc => "VECCALC",
        }
    }
}

/// How many copies of a buffer `InitBuffer` allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// The variant's `BUFFER_NUM` (1 or 2).
    BufferNum,
    /// Always one.
    One,
}

/// When a buffer is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Always.
    Always,
    /// Only when the mode key (a `bool` template parameter) is true.
    Key(&'static str),
    /// Only when the mode key is false.
    NotKey(&'static str),
    /// Only when the target trait (a `static constexpr bool` of the traits type) is true.
    Trait(&'static str),
    /// Only when its size is not zero (a run-time condition: a shape with no such data).
    NonZero,
}

/// One UB allocation of a kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UbBuffer {
    /// Member name in the generated C++ struct (`inQueX`); also the name in docs and Rust.
    pub name: &'static str,
    /// Queue position.
    pub position: Position,
    /// Copies (`VecCalc` buffers must be [`Depth::One`]).
    pub depth: Depth,
    /// Bytes of one copy, as a size expression (module docs); `InitBuffer` rounds it up to 32 B.
    pub size: &'static str,
    /// When it is allocated.
    pub when: When,
    /// What it holds.
    pub doc: &'static str,
}

impl UbBuffer {
    /// A buffer from its fields, in declaration order (what every kernel's plan lists).
    pub fn new(
        name: &'static str,
        position: Position,
        depth: Depth,
        size: &'static str,
        when: When,
        doc: &'static str,
    ) -> UbBuffer {
        UbBuffer {
            name,
            position,
            depth,
            size,
            when,
            doc,
        }
    }
}

/// A kernel's UB plan: named intermediate sizes, then the buffers in allocation order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UbPlan {
    /// `(name, expression)` bindings usable by later bindings and by buffer sizes.
    pub lets: Vec<(&'static str, &'static str)>,
    /// The buffers, in `InitBuffer` order.
    pub buffers: Vec<UbBuffer>,
}

/// Named constants a size expression may use: (name, value). The C++ side spells them by name
/// (`ak_common.h` and `common/ak_kernel.h` define them), the Rust side by value.
pub const CONSTANTS: [(&str, u64); 3] = [
    ("AK_BLOCK_BYTES", 32),
    ("AK_REPEAT_BYTES", 256),
    ("AK_MX_BLOCK", 32),
];

/// Fixed C types `sizeof` accepts, with their sizes.
const FIXED_TYPES: [(&str, u64); 9] = [
    ("float", 4),
    ("half", 2),
    ("bfloat16_t", 2),
    ("int16_t", 2),
    ("uint16_t", 2),
    ("int32_t", 4),
    ("uint32_t", 4),
    ("int8_t", 1),
    ("uint8_t", 1),
];

/// The 32-byte granule `InitBuffer` rounds every allocation up to.
pub const UB_GRANULE: u64 = 32;

/// A parsed size expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A literal.
    Num(u64),
    /// A tiling field.
    Field(String),
    /// A name bound by the plan's `lets`.
    Let(String),
    /// A named constant of [`CONSTANTS`].
    Const(String),
    /// `sizeof(P)` of a type parameter of the kernel.
    SizeOfParam(String),
    /// `sizeof(fixed type)`.
    SizeOfFixed(String, u64),
    /// `a op b`.
    Bin(Box<Expr>, char, Box<Expr>),
    /// `align_up(n, a)`.
    AlignUp(Box<Expr>, Box<Expr>),
    /// `ceil_div(n, d)`.
    CeilDiv(Box<Expr>, Box<Expr>),
    /// `max(a, b)`.
    Max(Box<Expr>, Box<Expr>),
}

/// What names an expression may refer to.
pub struct Scope<'a> {
    /// Tiling field names.
    pub fields: &'a [&'a str],
    /// Names bound so far.
    pub lets: &'a [&'a str],
    /// Type parameters of the kernel (`T`, `S`).
    pub type_params: &'a [&'a str],
}

struct Parser<'a> {
    toks: Vec<String>,
    pos: usize,
    scope: &'a Scope<'a>,
    text: &'a str,
}

fn tokenize(text: &str) -> Result<Vec<String>, String> {
    let mut toks = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let s = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            toks.push(chars[s..i].iter().collect());
        } else if "+-*/(),".contains(c) {
            toks.push(c.to_string());
            i += 1;
        } else {
            return Err(format!("size expression `{text}`: unexpected `{c}`"));
        }
    }
    Ok(toks)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.pos).map(String::as_str)
    }

    fn next(&mut self) -> Result<String, String> {
        let t = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or_else(|| format!("size expression `{}`: ends too early", self.text))?;
        self.pos += 1;
        Ok(t)
    }

    fn expect(&mut self, want: &str) -> Result<(), String> {
        let t = self.next()?;
        if t == want {
            Ok(())
        } else {
            Err(format!(
                "size expression `{}`: expected `{want}`, found `{t}`",
                self.text
            ))
        }
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut e = self.product()?;
        while let Some(op @ ("+" | "-")) = self.peek() {
            let op = op.chars().next().unwrap_or('+');
            self.pos += 1;
            e = Expr::Bin(Box::new(e), op, Box::new(self.product()?));
        }
        Ok(e)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut e = self.atom()?;
        while let Some(op @ ("*" | "/")) = self.peek() {
            let op = op.chars().next().unwrap_or('*');
            self.pos += 1;
            e = Expr::Bin(Box::new(e), op, Box::new(self.atom()?));
        }
        Ok(e)
    }

    fn call2(&mut self) -> Result<(Box<Expr>, Box<Expr>), String> {
        self.expect("(")?;
        let a = self.sum()?;
        self.expect(",")?;
        let b = self.sum()?;
        self.expect(")")?;
        Ok((Box::new(a), Box::new(b)))
    }

    fn atom(&mut self) -> Result<Expr, String> {
        let t = self.next()?;
        if t == "(" {
            let e = self.sum()?;
            self.expect(")")?;
            return Ok(e);
        }
        if let Ok(n) = t.parse::<u64>() {
            return Ok(Expr::Num(n));
        }
        match t.as_str() {
            "align_up" => {
                let (a, b) = self.call2()?;
                return Ok(Expr::AlignUp(a, b));
            }
            "ceil_div" => {
                let (a, b) = self.call2()?;
                return Ok(Expr::CeilDiv(a, b));
            }
            "max" => {
                let (a, b) = self.call2()?;
                return Ok(Expr::Max(a, b));
            }
            "sizeof" => {
                self.expect("(")?;
                let ty = self.next()?;
                self.expect(")")?;
                if self.scope.type_params.contains(&ty.as_str()) {
                    return Ok(Expr::SizeOfParam(ty));
                }
                if let Some(&(_, n)) = FIXED_TYPES.iter().find(|(name, _)| *name == ty) {
                    return Ok(Expr::SizeOfFixed(ty, n));
                }
                return Err(format!(
                    "size expression `{}`: sizeof({ty}) is neither a type parameter nor a fixed type",
                    self.text
                ));
            }
            _ => {}
        }
        if self.scope.lets.contains(&t.as_str()) {
            Ok(Expr::Let(t))
        } else if self.scope.fields.contains(&t.as_str()) {
            Ok(Expr::Field(t))
        } else if CONSTANTS.iter().any(|(n, _)| *n == t) {
            Ok(Expr::Const(t))
        } else {
            Err(format!(
                "size expression `{}`: unknown name `{t}` (not a tiling field, an earlier let or a constant)",
                self.text
            ))
        }
    }
}

impl Expr {
    /// Parses `text` in `scope`.
    pub fn parse(text: &str, scope: &Scope) -> Result<Expr, String> {
        let mut p = Parser {
            toks: tokenize(text)?,
            pos: 0,
            scope,
            text,
        };
        let e = p.sum()?;
        if p.pos != p.toks.len() {
            return Err(format!("size expression `{text}`: trailing tokens"));
        }
        Ok(e)
    }

    fn precedence(&self) -> u8 {
        match self {
            Expr::Bin(_, '+' | '-', _) => 1,
            Expr::Bin(..) => 2,
            _ => 3,
        }
    }

    /// The C++ spelling, in `uint32_t` arithmetic: fields as `tiling.<f>`, lets by name,
    /// parenthesised only where precedence needs it.
    pub fn cpp(&self) -> String {
        match self {
            Expr::Bin(a, op, b) => {
                let p = self.precedence();
                let left = if a.precedence() < p {
                    format!("({})", a.cpp())
                } else {
                    a.cpp()
                };
                let right = if b.precedence() <= p {
                    format!("({})", b.cpp())
                } else {
                    b.cpp()
                };
                format!("{left} {op} {right}")
            }
            _ => self.cpp_atom(),
        }
    }

    fn cpp_atom(&self) -> String {
        match self {
            Expr::Num(n) => format!("{n}u"),
            Expr::Field(f) => format!("tiling.{f}"),
            Expr::Let(l) | Expr::Const(l) => l.clone(),
            Expr::SizeOfParam(p) => format!("sizeof({p})"),
            Expr::SizeOfFixed(t, _) => format!("sizeof({t})"),
            Expr::Bin(..) => self.cpp(),
            Expr::AlignUp(a, b) => format!("AkAlignUp({}, {})", a.cpp(), b.cpp()),
            Expr::CeilDiv(a, b) => format!("AkCeilDiv({}, {})", a.cpp(), b.cpp()),
            Expr::Max(a, b) => format!("AkMax({}, {})", a.cpp(), b.cpp()),
        }
    }

    /// Whether the expression reads the let `name`.
    pub fn uses(&self, name: &str) -> bool {
        match self {
            Expr::Let(l) => l == name,
            Expr::Bin(a, _, b) | Expr::AlignUp(a, b) | Expr::CeilDiv(a, b) | Expr::Max(a, b) => {
                a.uses(name) || b.uses(name)
            }
            _ => false,
        }
    }

    /// The Rust spelling, in `u64` arithmetic: fields as `u64::from(tiling.<f>)`, type parameter
    /// sizes as `<p>_bytes` arguments.
    pub fn rust(&self) -> String {
        match self {
            Expr::Num(n) => format!("{n}u64"),
            Expr::Field(f) => format!("u64::from(tiling.{f})"),
            Expr::Let(l) => l.clone(),
            Expr::Const(c) => {
                let v = CONSTANTS
                    .iter()
                    .find(|(n, _)| n == c)
                    .map(|(_, v)| *v)
                    .unwrap_or(0);
                format!("{v}u64")
            }
            Expr::SizeOfParam(p) => format!("u64::from({}_bytes)", p.to_lowercase()),
            Expr::SizeOfFixed(_, n) => format!("{n}u64"),
            Expr::Bin(a, '/', b) => format!("({} / ({}).max(1))", a.rust(), b.rust()),
            Expr::Bin(a, '-', b) => format!("({}).saturating_sub({})", a.rust(), b.rust()),
            Expr::Bin(a, op, b) => format!("({} {op} {})", a.rust(), b.rust()),
            Expr::AlignUp(a, b) => format!("ub_align_up({}, {})", a.rust(), b.rust()),
            Expr::CeilDiv(a, b) => format!("({}).div_ceil(({}).max(1))", a.rust(), b.rust()),
            Expr::Max(a, b) => format!("({}).max({})", a.rust(), b.rust()),
        }
    }
}

/// Everything the emitters need to know about a kernel to emit its UB plan.
pub struct PlanCtx<'a> {
    /// Kernel name (`rms_norm`).
    pub kernel: &'a str,
    /// `Ak<Camel>Tiling`.
    pub tiling_struct: String,
    /// `Ak<Camel>Ub`.
    pub ub_struct: String,
    /// Tiling field names.
    pub fields: Vec<&'a str>,
    /// Type parameters (`T`, ...), in template order.
    pub type_params: Vec<&'a str>,
    /// Mode keys (`FUSED`, ...), in template order.
    pub keys: Vec<&'a str>,
    /// Trait flags of the target traits (`SOFT_FP8`, ...).
    pub traits: Vec<&'a str>,
    /// The plan.
    pub plan: &'a UbPlan,
}

/// A plan with its expressions parsed.
pub struct Parsed {
    /// `(name, expr)` of every let.
    pub lets: Vec<(String, Expr)>,
    /// `(buffer, size expr)` of every buffer.
    pub buffers: Vec<(UbBuffer, Expr)>,
}

impl PlanCtx<'_> {
    /// Parses and checks the plan: every name resolves, every condition names a key or trait,
    /// `VecCalc` buffers have depth one, names are unique.
    pub fn parse(&self) -> Result<Parsed, String> {
        let mut bound: Vec<&str> = Vec::new();
        let mut lets = Vec::new();
        for (name, text) in &self.plan.lets {
            let scope = Scope {
                fields: &self.fields,
                lets: &bound,
                type_params: &self.type_params,
            };
            let e = Expr::parse(text, &scope).map_err(|e| format!("{}: {e}", self.kernel))?;
            if bound.contains(name) || self.fields.contains(name) {
                return Err(format!("{}: let `{name}` shadows a name", self.kernel));
            }
            lets.push((name.to_string(), e));
            bound.push(name);
        }
        let mut buffers = Vec::new();
        for b in &self.plan.buffers {
            let scope = Scope {
                fields: &self.fields,
                lets: &bound,
                type_params: &self.type_params,
            };
            let e = Expr::parse(b.size, &scope).map_err(|e| format!("{}: {e}", self.kernel))?;
            if b.position == Position::VecCalc && b.depth != Depth::One {
                return Err(format!(
                    "{}: VECCALC buffer `{}` must have depth 1",
                    self.kernel, b.name
                ));
            }
            match b.when {
                When::Key(k) | When::NotKey(k) if !self.keys.contains(&k) => {
                    return Err(format!(
                        "{}: buffer `{}` depends on unknown mode key `{k}`",
                        self.kernel, b.name
                    ));
                }
                When::Trait(t) if !self.traits.contains(&t) => {
                    return Err(format!(
                        "{}: buffer `{}` depends on unknown target trait `{t}`",
                        self.kernel, b.name
                    ));
                }
                _ => {}
            }
            if buffers
                .iter()
                .any(|(o, _): &(UbBuffer, Expr)| o.name == b.name)
            {
                return Err(format!(
                    "{}: buffer `{}` declared twice",
                    self.kernel, b.name
                ));
            }
            buffers.push((*b, e));
        }
        Ok(Parsed { lets, buffers })
    }

    fn template_params(&self) -> String {
        let mut p: Vec<String> = self
            .type_params
            .iter()
            .map(|t| format!("typename {t}"))
            .collect();
        p.push("int32_t BUFFER_NUM".into());
        p.push("typename Traits".into());
        p.extend(self.keys.iter().map(|k| format!("bool {k}")));
        p.join(", ")
    }

    /// `<kernel>_ub.h`: the struct of every `TQue`/`TBuf` and the `Init` that allocates them.
    pub fn cpp_header(&self, parsed: &Parsed, generator: &str) -> String {
        let mut w = SourceWriter::new();
        let guard = format!("AK_{}_UB_H", self.kernel.to_uppercase());
        w.line(format!(
            "// {}_ub.h: generated by {generator} from the buffer declarations of `{}`",
            self.kernel, self.kernel
        ));
        w.line(format!(
            "// (codegen/src/kernels/{}.rs); do not edit. The host tiling plans with the same figures",
            self.kernel
        ));
        w.line(format!(
            "// (`{}_ub_bytes` in ak_kernels.rs) and docs/kernels/{}.md tabulates them.",
            self.kernel, self.kernel
        ));
        w.line(format!("#ifndef {guard}"));
        w.line(format!("#define {guard}"));
        w.blank();
        w.line("#include \"kernel_operator.h\"");
        w.line("#include \"ak_kernels.h\"");
        w.line("#include \"common/ak_kernel.h\"");
        w.blank();
        w.line(format!("template <{}>", self.template_params()));
        w.line(format!("struct {} {{", self.ub_struct));
        w.indented(|w| {
            for (b, _) in &parsed.buffers {
                let depth = match b.depth {
                    Depth::BufferNum => "BUFFER_NUM",
                    Depth::One => "1",
                };
                let decl = match b.position {
                    Position::VecCalc => "AscendC::TBuf<AscendC::TPosition::VECCALC>".to_string(),
                    p => format!("AscendC::TQue<AscendC::QuePosition::{}, {depth}>", p.name()),
                };
                w.line(format!("// {}", b.doc));
                w.line(format!("{decl} {};", b.name));
            }
            w.blank();
            w.line("// Allocates every buffer of this instantiation from `pipe`, in declaration order.");
            w.line(format!(
                "__aicore__ inline void Init(AscendC::TPipe& pipe, const {}& tiling)",
                self.tiling_struct
            ));
            w.line("{");
            w.indented(|w| {
                for (name, e) in &parsed.lets {
                    w.line(format!("const uint32_t {name} = {};", e.cpp()));
                }
                // consecutive buffers under the same condition share one `if constexpr`
                let mut i = 0;
                while i < parsed.buffers.len() {
                    let when = parsed.buffers[i].0.when;
                    let mut j = i;
                    while j < parsed.buffers.len() && parsed.buffers[j].0.when == when {
                        j += 1;
                    }
                    let calls: Vec<String> = parsed.buffers[i..j]
                        .iter()
                        .map(|(b, e)| match (b.position, b.depth) {
                            (Position::VecCalc, _) => {
                                format!("pipe.InitBuffer({}, {});", b.name, e.cpp())
                            }
                            (_, Depth::BufferNum) => {
                                format!("pipe.InitBuffer({}, BUFFER_NUM, {});", b.name, e.cpp())
                            }
                            (_, Depth::One) => {
                                format!("pipe.InitBuffer({}, 1, {});", b.name, e.cpp())
                            }
                        })
                        .collect();
                    let cond = match when {
                        When::Always => None,
                        When::Key(k) => Some(k.to_string()),
                        When::NotKey(k) => Some(format!("!{k}")),
                        When::Trait(t) => Some(format!("Traits::{t}")),
                        When::NonZero => None,
                    };
                    match cond {
                        None if when == When::NonZero => {
                            for (b, e) in &parsed.buffers[i..j] {
                                let bytes = format!("{}Bytes", b.name);
                                w.line(format!("const uint32_t {bytes} = {};", e.cpp()));
                                w.line(format!("if ({bytes} != 0) {{"));
                                w.indented(|w| {
                                    let call = match (b.position, b.depth) {
                                        (Position::VecCalc, _) => {
                                            format!("pipe.InitBuffer({}, {bytes});", b.name)
                                        }
                                        (_, Depth::BufferNum) => format!(
                                            "pipe.InitBuffer({}, BUFFER_NUM, {bytes});",
                                            b.name
                                        ),
                                        (_, Depth::One) => {
                                            format!("pipe.InitBuffer({}, 1, {bytes});", b.name)
                                        }
                                    };
                                    w.line(call);
                                });
                                w.line("}");
                            }
                        }
                        None => {
                            for c in &calls {
                                w.line(c);
                            }
                        }
                        Some(c) => {
                            w.line(format!("if constexpr ({c}) {{"));
                            w.indented(|w| {
                                for c in &calls {
                                    w.line(c);
                                }
                            });
                            w.line("}");
                        }
                    }
                    i = j;
                }
                // a let read only under an `if constexpr` that is false here is unused
                for (name, _) in &parsed.lets {
                    let always = parsed.lets.iter().any(|(_, e)| e.uses(name))
                        || parsed
                            .buffers
                            .iter()
                            .any(|(b, e)| matches!(b.when, When::Always | When::NonZero) && e.uses(name));
                    if !always {
                        w.line(format!("(void){name};"));
                    }
                }
            });
            w.line("}");
        });
        w.line("};");
        w.blank();
        w.line(format!("#endif // {guard}"));
        w.finish()
    }

    fn rust_params(&self) -> String {
        let mut p = vec![
            format!("tiling: &{}", self.tiling_struct),
            "target: Target".to_string(),
            "buffer_num: u32".to_string(),
        ];
        p.extend(
            self.type_params
                .iter()
                .map(|t| format!("{}_bytes: u32", t.to_lowercase())),
        );
        p.extend(
            self.keys
                .iter()
                .map(|k| format!("{}: bool", k.to_lowercase())),
        );
        p.join(", ")
    }

    /// The Rust accounting: `<kernel>_ub_buffers` (bytes per buffer as allocated, 0 for one not
    /// allocated) and `<kernel>_ub_bytes` (their sum). `trait_targets(t)` lists the targets whose
    /// traits have `t` true.
    pub fn rust_fns(
        &self,
        parsed: &Parsed,
        w: &mut SourceWriter,
        trait_targets: &dyn Fn(&str) -> Vec<String>,
    ) {
        let n = parsed.buffers.len();
        let args = {
            let mut a = vec!["tiling".to_string(), "target".into(), "buffer_num".into()];
            a.extend(
                self.type_params
                    .iter()
                    .map(|t| format!("{}_bytes", t.to_lowercase())),
            );
            a.extend(self.keys.iter().map(|k| k.to_lowercase()));
            a.join(", ")
        };
        w.blank();
        w.line(format!(
            "/// UB bytes of every buffer `{}` allocates (its `{}_ub.h`, from the same declarations),",
            self.kernel, self.kernel
        ));
        w.line(
            "/// in allocation order: (name, bytes with every copy rounded up to 32 B; 0 when the",
        );
        w.line("/// instantiation does not allocate it). Element sizes in bytes; mode keys as in the kernel.");
        w.line("#[allow(clippy::too_many_arguments, unused_variables, unused_parens)]");
        w.block(
            format!(
                "pub fn {}_ub_buffers({}) -> [(&'static str, u64); {n}]",
                self.kernel,
                self.rust_params()
            ),
            "",
            |w| {
                for (name, e) in &parsed.lets {
                    w.line(format!("let {name} = {};", e.rust()));
                }
                w.line("let depth = u64::from(buffer_num);");
                w.line("[");
                w.indented(|w| {
                    for (b, e) in &parsed.buffers {
                        let copies = match b.depth {
                            Depth::BufferNum => "depth",
                            Depth::One => "1u64",
                        };
                        let cond = match b.when {
                            When::Always | When::NonZero => "true".to_string(),
                            When::Key(k) => k.to_lowercase(),
                            When::NotKey(k) => format!("!{}", k.to_lowercase()),
                            When::Trait(t) => {
                                let ts = trait_targets(t);
                                if ts.is_empty() {
                                    "false".to_string()
                                } else {
                                    format!("matches!(target, {})", ts.join(" | "))
                                }
                            }
                        };
                        w.line(format!(
                            "(\"{}\", if {cond} {{ {copies} * ub_align_up({}, {UB_GRANULE}) }} else {{ 0 }}),",
                            b.name,
                            e.rust()
                        ));
                    }
                });
                w.line("]");
            },
        );
        w.line(format!(
            "/// Total UB bytes `{}` allocates: the sum of [`{}_ub_buffers`].",
            self.kernel, self.kernel
        ));
        w.line("#[allow(clippy::too_many_arguments)]");
        w.block(
            format!(
                "pub fn {}_ub_bytes({}) -> u64",
                self.kernel,
                self.rust_params()
            ),
            "",
            |w| {
                w.line(format!(
                    "{}_ub_buffers({args}).iter().map(|(_, b)| b).sum()",
                    self.kernel
                ));
            },
        );
    }

    /// The Markdown UB table of the docs.
    pub fn docs_table(&self, parsed: &Parsed) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "UB buffers, in allocation order (generated from `codegen/src/kernels/{}.rs`; every copy is\nrounded up to 32 B; `BUFFER_NUM` is the variant's depth):\n\n",
            self.kernel
        ));
        if !parsed.lets.is_empty() {
            for (name, _) in &parsed.lets {
                let text = self
                    .plan
                    .lets
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, t)| *t)
                    .unwrap_or("");
                s.push_str(&format!("- `{name} = {text}`\n"));
            }
            s.push('\n');
        }
        s.push_str("| buffer | position | copies | bytes per copy | allocated | holds |\n");
        s.push_str("|---|---|---|---|---|---|\n");
        for (b, _) in &parsed.buffers {
            let depth = match b.depth {
                Depth::BufferNum => "BUFFER_NUM",
                Depth::One => "1",
            };
            let when = match b.when {
                When::Always => "always".to_string(),
                When::Key(k) => format!("`{k}`"),
                When::NotKey(k) => format!("not `{k}`"),
                When::Trait(t) => format!("`Traits::{t}`"),
                When::NonZero => "if not 0".to_string(),
            };
            s.push_str(&format!(
                "| `{}` | {} | {depth} | `{}` | {when} | {} |\n",
                b.name,
                b.position.name(),
                b.size,
                b.doc
            ));
        }
        s
    }
}

/// The marker lines around the generated UB table in `docs/kernels/<kernel>.md`.
pub const DOCS_BEGIN: &str = "<!-- ub-table: generated by codegen, do not edit -->";
/// End marker.
pub const DOCS_END: &str = "<!-- /ub-table -->";

/// Replaces the block between the markers in `doc` with `table`; `None` if the markers are
/// missing.
pub fn splice_docs(doc: &str, table: &str) -> Option<String> {
    let b = doc.find(DOCS_BEGIN)?;
    let e = doc.find(DOCS_END)?;
    if e < b {
        return None;
    }
    let mut out = String::new();
    out.push_str(&doc[..b + DOCS_BEGIN.len()]);
    out.push('\n');
    out.push_str(table);
    out.push_str(&doc[e..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope<'a>(fields: &'a [&'a str], lets: &'a [&'a str]) -> Scope<'a> {
        Scope {
            fields,
            lets,
            type_params: &["T"],
        }
    }

    #[test]
    fn expressions_parse_and_print() {
        let s = scope(&["cols", "rows_per_tile"], &["stride"]);
        let e = Expr::parse("rows_per_tile * stride * sizeof(T)", &s).unwrap();
        assert_eq!(e.cpp(), "tiling.rows_per_tile * stride * sizeof(T)");
        assert_eq!(
            e.rust(),
            "((u64::from(tiling.rows_per_tile) * stride) * u64::from(t_bytes))"
        );
        let e = Expr::parse("align_up(cols, AK_BLOCK_BYTES / sizeof(float)) + 8 - 1", &s).unwrap();
        assert_eq!(
            e.cpp(),
            "AkAlignUp(tiling.cols, AK_BLOCK_BYTES / sizeof(float)) + 8u - 1u"
        );
        let e = Expr::parse("cols - (8 - 1) * (2 / (1 + 1))", &s).unwrap();
        assert_eq!(e.cpp(), "tiling.cols - (8u - 1u) * (2u / (1u + 1u))");
    }

    #[test]
    fn bad_expressions_are_refused_with_the_reason() {
        let s = scope(&["cols"], &[]);
        for (text, why) in [
            ("rows * 2", "unknown name `rows`"),
            ("sizeof(double)", "sizeof(double)"),
            ("cols +", "ends too early"),
            ("cols 2", "trailing tokens"),
            ("cols % 2", "unexpected `%`"),
            ("align_up(cols)", "expected `,`"),
        ] {
            let err = Expr::parse(text, &s).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn docs_are_spliced_between_the_markers() {
        let doc = format!("a\n{DOCS_BEGIN}\nold\n{DOCS_END}\nb\n");
        let out = splice_docs(&doc, "new\n").unwrap();
        assert_eq!(out, format!("a\n{DOCS_BEGIN}\nnew\n{DOCS_END}\nb\n"));
        assert!(splice_docs("no markers", "x").is_none());
    }
}
