//! Spec text names of `wasmparser` operators, restricted to Wasm 2.0, tail calls, relaxed SIMD
//! and exception handling.
//!
//! The name is derived from the operator's `visit_*` method name in `wasmparser`'s operator list
//! (`for_each_operator!`): `visit_i32_trunc_sat_f32_s` becomes `i32.trunc_sat_f32_s`. The first
//! underscore is the dot exactly when the part before it is a value type or an instruction
//! family (`local`, `memory`, `ref`, ...); otherwise the name keeps its underscores (`br_if`,
//! `call_indirect`). Both forms of `select` are called `select`.

use wasmparser::Operator;

/// The proposals whose instructions make up Wasm 2.0, and tail calls and relaxed SIMD, as
/// `wasmparser` names them.
const SUPPORTED_PROPOSALS: &[&str] = &[
    "mvp",
    "sign_extension",
    "saturating_float_to_int",
    "bulk_memory",
    "reference_types",
    "simd",
    "relaxed_simd",
    "tail_call",
    "exceptions",
    "function_references",
];

/// Prefixes written with a dot in the text format: value types, vector shapes and families.
const DOTTED: &[&str] = &[
    "i32", "i64", "f32", "f64", "v128", "i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2",
    "local", "global", "memory", "table", "ref", "data", "elem",
];

macro_rules! define_visit_name {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        /// The proposal and the `visit_*` method name of `op`.
        fn visit_name(op: &Operator<'_>) -> Option<(&'static str, &'static str)> {
            match op {
                $( Operator::$op { .. } => Some((stringify!($proposal), stringify!($visit))), )*
                #[allow(unreachable_patterns)]
                _ => None,
            }
        }
    };
}
wasmparser::for_each_operator!(define_visit_name);

/// Turns a `visit_*` method name into the spec text name.
fn text_name(visit: &str) -> String {
    let name = visit.strip_prefix("visit_").unwrap_or(visit);
    if name == "typed_select" {
        return "select".to_string();
    }
    match name.split_once('_') {
        Some((prefix, rest)) if DOTTED.contains(&prefix) => format!("{prefix}.{rest}"),
        _ => name.to_string(),
    }
}

/// The spec text name of `op` (e.g. `"i32.add"`, `"br_table"`, `"select"`), or an error naming
/// the operator when it is not part of Wasm 2.0 or the tail-call proposal.
pub fn spec_name(op: &Operator<'_>) -> Result<String, String> {
    match visit_name(op) {
        Some((proposal, visit)) if SUPPORTED_PROPOSALS.contains(&proposal) => Ok(text_name(visit)),
        Some((proposal, _)) => Err(format!(
            "operator {op:?} belongs to the `{proposal}` proposal, which the oracle does not support"
        )),
        None => Err(format!("unknown operator {op:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmparser::{BlockType, MemArg, MemArgTarget, ValType};

    #[test]
    fn tricky_names() {
        let mem = MemArg {
            align: 0,
            max_align: 0,
            offset: 0,
            target: MemArgTarget::Memory(0),
            ordering: None,
        };
        let cases: Vec<(Operator<'static>, &str)> = vec![
            (
                Operator::Block {
                    blockty: BlockType::Empty,
                },
                "block",
            ),
            (Operator::End, "end"),
            (Operator::Else, "else"),
            (Operator::BrIf { relative_depth: 0 }, "br_if"),
            (
                Operator::CallIndirect {
                    type_index: 0,
                    table_index: 0,
                },
                "call_indirect",
            ),
            (Operator::Select, "select"),
            (Operator::TypedSelect { ty: ValType::I32 }, "select"),
            (Operator::RefIsNull, "ref.is_null"),
            (Operator::LocalGet { local_index: 0 }, "local.get"),
            (Operator::GlobalSet { global_index: 0 }, "global.set"),
            (Operator::MemoryGrow { mem: 0 }, "memory.grow"),
            (
                Operator::MemoryInit {
                    data_index: 0,
                    mem: 0,
                },
                "memory.init",
            ),
            (Operator::DataDrop { data_index: 0 }, "data.drop"),
            (Operator::ElemDrop { elem_index: 0 }, "elem.drop"),
            (Operator::TableGrow { table: 0 }, "table.grow"),
            (Operator::I32TruncSatF32S, "i32.trunc_sat_f32_s"),
            (Operator::I64ExtendI32U, "i64.extend_i32_u"),
            (Operator::I32Extend8S, "i32.extend8_s"),
            (Operator::I32WrapI64, "i32.wrap_i64"),
            (Operator::F64PromoteF32, "f64.promote_f32"),
            (Operator::I64Load32U { memarg: mem }, "i64.load32_u"),
            (Operator::V128Load8x8S { memarg: mem }, "v128.load8x8_s"),
            (
                Operator::I8x16ExtractLaneS { lane: 0 },
                "i8x16.extract_lane_s",
            ),
            (Operator::V128AnyTrue, "v128.any_true"),
            (Operator::ReturnCall { function_index: 0 }, "return_call"),
            (Operator::CallRef { type_index: 0 }, "call_ref"),
            (Operator::ReturnCallRef { type_index: 0 }, "return_call_ref"),
            (Operator::RefAsNonNull, "ref.as_non_null"),
            (Operator::BrOnNull { relative_depth: 0 }, "br_on_null"),
            (
                Operator::BrOnNonNull { relative_depth: 0 },
                "br_on_non_null",
            ),
            (
                Operator::ReturnCallIndirect {
                    type_index: 0,
                    table_index: 0,
                },
                "return_call_indirect",
            ),
        ];
        for (op, want) in cases {
            assert_eq!(spec_name(&op).unwrap(), want, "{op:?}");
        }
    }

    #[test]
    fn post_wasm2_refused() {
        let err = spec_name(&Operator::RefEq).unwrap_err();
        assert!(err.contains("gc"), "{err}");
    }
}
