//! Encodings of proposals the decoder does not implement are reported as unsupported, naming
//! the proposal, and keep the words Wasm 2.0's tests expect where they check those bytes.

use ssvm_binary::{
    DecodeError, HeapType, MemArg, MemIdx, Module, Operator, Proposal, Reader, RefType, ValType,
};

/// A module of the given sections (id, contents), each sized for its contents.
fn module(sections: &[(u8, &[u8])]) -> Vec<u8> {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    for (id, content) in sections {
        out.push(*id);
        out.push(content.len() as u8);
        out.extend_from_slice(content);
    }
    out
}

/// The error of decoding `bytes`, which must fail.
fn error(bytes: &[u8]) -> DecodeError {
    Module::decode(bytes).expect_err("the module must not decode")
}

/// The error of reading the one function body of a module of type `[] -> []` with `code`
/// (no locals), which must fail.
fn body_error(code: &[u8]) -> DecodeError {
    body_decode(code).expect_err("the body must not decode")
}

/// Decodes (without validating) the one function body of a module of type `[] -> []` with
/// `code` (no locals).
fn body_decode(code: &[u8]) -> Result<(), DecodeError> {
    let mut body = vec![code.len() as u8 + 1, 0];
    body.extend_from_slice(code);
    let mut section = vec![1];
    section.extend_from_slice(&body);
    let bytes = module(&[
        (1, &[1, 0x60, 0, 0]),
        (3, &[1, 0]),
        (5, &[1, 0, 1]),
        (4, &[1, 0x70, 0, 1]),
        (10, &section),
    ]);
    // Sections in order: the table (4) before the memory (5).
    let bytes = reorder(bytes);
    let m = Module::decode(&bytes).expect("everything but the body decodes");
    m.code[0].check_encoding()
}

/// Puts the memory section after the table section (`body_error` lists them by meaning).
fn reorder(bytes: Vec<u8>) -> Vec<u8> {
    let memory = [5, 3, 1, 0, 1];
    let table = [4, 4, 1, 0x70, 0, 1];
    let at = bytes.windows(5).position(|w| w == memory).unwrap();
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(&table);
    out.extend_from_slice(&memory);
    out.extend_from_slice(&bytes[at + memory.len() + table.len()..]);
    out
}

fn assert_unsupported(e: &DecodeError, proposal: Proposal, message: &str, offset: usize) {
    assert_eq!(
        (e.unsupported, e.message.as_str(), e.offset),
        (Some(proposal), message, offset),
        "{e}"
    );
}

#[test]
fn a_tag_section_decodes_between_memories_and_globals() {
    // Two tags of types 0 and 1 (attribute 0: an exception).
    let bytes = module(&[(5, &[1, 0, 1]), (13, &[2, 0, 0, 0, 1]), (6, &[0])]);
    let m = Module::decode(&bytes).expect("a tag section after the memory section decodes");
    assert_eq!(m.tags, [0, 1]);
    let e = error(&module(&[(6, &[0]), (13, &[0])]));
    assert_eq!(e.message, "unexpected content after last section");
    let e = error(&module(&[(13, &[1, 1, 0])]));
    assert_eq!(
        (e.unsupported, e.message.as_str()),
        (None, "malformed tag attribute")
    );
    // Ids past the tag section's stay malformed.
    let e = error(&module(&[(14, &[0])]));
    assert_eq!(
        (e.unsupported, e.message.as_str()),
        (None, "malformed section id")
    );
}

#[test]
fn a_byte_no_proposal_uses_is_no_value_type() {
    let e = error(&module(&[(1, &[1, 0x60, 1, 0x55, 0])]));
    assert_eq!(
        (e.unsupported, e.message.as_str()),
        (None, "malformed value type")
    );
}

#[test]
fn typed_reference_types_decode() {
    let null = |heap| ValType::Ref(RefType::null(heap));
    let cases: [(&[u8], ValType); 6] = [
        (&[0x63, 0x00], null(HeapType::Concrete(0))),
        (
            &[0x64, 0x70],
            ValType::Ref(RefType {
                nullable: false,
                heap: HeapType::Func,
            }),
        ),
        (&[0x74], null(HeapType::NoExn)),
        (&[0x73], null(HeapType::NoFunc)),
        (&[0x63, 0x72], null(HeapType::NoExtern)),
        (&[0x63, 0x6f], ValType::EXTERNREF),
    ];
    for (ty, expected) in cases {
        let mut types = vec![1, 0x60, 1];
        types.extend_from_slice(ty);
        types.push(0);
        let bytes = module(&[(1, &types)]);
        let m = Module::decode(&bytes).expect("decodes");
        assert_eq!(*params(&m), [expected], "{ty:x?}");
    }
}

/// The parameters of the first type of `m`, a function type.
fn params<'m>(m: &'m Module<'_>) -> &'m [ValType] {
    &m.types[0].as_func().expect("a function type").params
}

#[test]
fn rec_groups_of_sub_types_decode() {
    // A group of two function types, the second declared `sub final` of the first.
    let bytes = module(&[(
        1,
        &[1, 0x4e, 2, 0x50, 0, 0x60, 0, 0, 0x4f, 1, 0, 0x60, 0, 0],
    )]);
    let m = Module::decode(&bytes).expect("decodes");
    assert_eq!(m.types.len(), 2);
    let decl = &m.type_decls[1];
    assert_eq!(
        (
            decl.group,
            decl.group_len,
            decl.is_final,
            &decl.supertypes[..]
        ),
        (0, 2, true, &[0][..])
    );
    assert!(!m.type_decls[0].is_final);
}

#[test]
fn limits_flags_of_later_proposals_keep_the_words_of_wasm_2() {
    // Shared memories (threads), 32- and 64-bit, keep Wasm 2.0's words.
    for flags in [0x03, 0x07] {
        let e = error(&module(&[(5, &[1, flags, 1, 1])]));
        let message = "integer too large: the threads proposal is not supported (shared memory)";
        assert_unsupported(&e, Proposal::Threads, message, 11);
    }
    // Tables are never shared, and flags past memory64's are malformed (a byte, Wasm 3.0).
    for (id, content) in [
        (4, &[1u8, 0x70, 0x02, 0, 1][..]),
        (5, &[1, 0x08, 0]),
        (5, &[1, 0x81, 0, 0]),
    ] {
        let e = error(&module(&[(id, content)]));
        assert_eq!(
            (e.unsupported, e.message.as_str()),
            (None, "malformed limits flags")
        );
    }
}

#[test]
fn memory64_limits_decode_as_u64s_whatever_the_address_type() {
    // A 64-bit memory of 2^40 pages, at most 2^48, and a 64-bit table of 2^33 elements.
    let pages = [0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
    let max = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
    let memory = [&[1u8, 0x05][..], &pages, &max].concat();
    let table = [1u8, 0x70, 0x04, 0x80, 0x80, 0x80, 0x80, 0x20];
    let bytes = module(&[(4, &table), (5, &memory)]);
    let m = Module::decode(&bytes).expect("decodes");
    let limits = m.memories[0].limits;
    assert_eq!(
        (limits.min, limits.max, limits.is64),
        (1 << 40, Some(1 << 48), true)
    );
    let limits = m.tables[0].limits;
    assert_eq!((limits.min, limits.max, limits.is64), (1 << 33, None, true));
    // A 32-bit memory's sizes are u64s too (the validator bounds them).
    let bytes = module(&[(5, &[&[1u8, 0x00][..], &pages].concat())]);
    let m = Module::decode(&bytes).unwrap();
    assert_eq!(
        (m.memories[0].limits.min, m.memories[0].limits.is64),
        (1 << 40, false)
    );
    // Past 64 bits is too large.
    let e = error(&module(&[(
        5,
        &[
            1, 0x04, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02,
        ],
    )]));
    assert_eq!(e.message, "integer too large");
}

#[test]
fn exnref_is_a_value_type_in_both_spellings() {
    // `exnref` and `(ref null exn)` as the one parameter of a function type.
    for ty in [&[0x69u8][..], &[0x63, 0x69]] {
        let mut types = vec![1, 0x60, 1];
        types.extend_from_slice(ty);
        types.push(0);
        let bytes = module(&[(1, &types)]);
        let m = Module::decode(&bytes).expect("decodes");
        assert_eq!(*params(&m), [ValType::EXNREF]);
    }
}

#[test]
fn tags_are_imported_and_exported_as_kind_4() {
    let bytes = module(&[(2, &[1, 0, 0, 0x04, 0, 3])]);
    let m = Module::decode(&bytes).expect("decodes");
    assert_eq!(m.imports[0].desc, ssvm_binary::ImportDesc::Tag(3));
    let bytes = module(&[(7, &[1, 0, 0x04, 2])]);
    let m = Module::decode(&bytes).expect("decodes");
    assert_eq!(
        (m.exports[0].kind, m.exports[0].index),
        (ssvm_binary::ExternKind::Tag, 2)
    );
    let e = error(&module(&[(2, &[1, 0, 0, 0x04, 1, 0])]));
    assert_eq!(e.message, "malformed tag attribute");
}

#[test]
fn a_table_with_an_initial_value_decodes() {
    let bytes = module(&[(4, &[1, 0x40, 0x00, 0x70, 0, 1, 0xd0, 0x70, 0x0b])]);
    let m = Module::decode(&bytes).expect("decodes");
    assert_eq!(m.tables[0].element, RefType::FUNCREF);
    assert_eq!(
        m.table_inits[0].map(|e| e.bytes),
        Some(&[0xd0, 0x70, 0x0b][..])
    );
}

#[test]
fn instructions_of_later_proposals_name_them() {
    // Each at the body's first instruction: offset 0x22 (see `body_error`).
    let cases: [(&[u8], Proposal, &str); 8] = [
        (
            &[0x06, 0x40, 0x0b],
            Proposal::LegacyExceptionHandling,
            "try",
        ),
        (&[0x09, 0x00], Proposal::LegacyExceptionHandling, "rethrow"),
        (&[0x18, 0x00], Proposal::LegacyExceptionHandling, "delegate"),
        (&[0x19], Proposal::LegacyExceptionHandling, "catch_all"),
        (
            &[0xfb, 0x00],
            Proposal::Gc,
            "an instruction with the 0xFB prefix",
        ),
        // `ref.i31`, with the GC types decoded, is still a GC instruction.
        (
            &[0xfb, 0x1c],
            Proposal::Gc,
            "an instruction with the 0xFB prefix",
        ),
        (&[0xd3], Proposal::Gc, "ref.eq"),
        (
            &[0xfe, 0x00],
            Proposal::Threads,
            "an atomic instruction, prefix 0xFE",
        ),
    ];
    for (code, proposal, what) in cases {
        let mut code = code.to_vec();
        code.push(0x0b);
        let e = body_error(&code);
        let mut message = format!("the {} proposal is not supported ({what})", proposal.name());
        // Wasm 3.0 left legacy exception handling out: its opcodes are illegal there.
        if proposal == Proposal::LegacyExceptionHandling {
            message = format!("illegal opcode: {message}");
        }
        assert_unsupported(&e, proposal, &message, 0x22);
    }
    // An opcode no proposal uses stays illegal.
    let e = body_error(&[0x27, 0x0b]);
    assert_eq!(
        (e.unsupported, e.message.as_str()),
        (None, "illegal opcode 27")
    );
}

#[test]
fn memory_indices_decode_as_multi_memory_reads_them() {
    fn decode(bytes: &[u8]) -> Result<Operator<'_>, DecodeError> {
        Operator::decode(&mut Reader::new(bytes, 0))
    }
    // memory.size 1, and memory.grow with memory 0 in two bytes (Wasm 2.0: zero byte expected).
    assert_eq!(
        decode(&[0x3f, 0x01]).unwrap(),
        Operator::MemorySize { mem: MemIdx(1) }
    );
    assert_eq!(
        decode(&[0x40, 0x80, 0x00]).unwrap(),
        Operator::MemoryGrow { mem: MemIdx(0) }
    );
    // i32.load with the memory-index flag (bit 6): alignment 2, memory 3, offset 5.
    let memarg = MemArg {
        align: 2,
        offset: 5,
        memory: 3,
    };
    assert_eq!(
        decode(&[0x28, 0x42, 0x03, 0x05]).unwrap(),
        Operator::I32Load { memarg }
    );
    // An alignment exponent of 32 to 63 decodes (Wasm 3.0; the validator refuses it), with or
    // without a memory index; flags of 128 or more have no meaning.
    assert!(decode(&[0x28, 0x20, 0x00]).is_ok());
    assert!(decode(&[0x28, 0x60, 0x00, 0x00]).is_ok());
    for flags in [&[0x80, 0x01][..], &[0xff, 0x01]] {
        let bytes = [&[0x28], flags, &[0x00, 0x00]].concat();
        let e = decode(&bytes).unwrap_err();
        assert_eq!(
            (e.unsupported, e.message.as_str()),
            (None, "malformed memop flags")
        );
    }
}

#[test]
fn in_a_constant_expression_such_an_opcode_stays_illegal_first() {
    // A global whose initializer is the legacy `rethrow`: no proposal's control instruction is
    // constant.
    let e = error(&module(&[(6, &[1, 0x7f, 0, 0x09, 0, 0x0b])]));
    let message =
        "illegal opcode: the legacy exception-handling proposal is not supported (rethrow)";
    assert_unsupported(&e, Proposal::LegacyExceptionHandling, message, 13);
}

#[test]
fn relaxed_simd_opcodes_decode_and_the_rest_of_their_range_stays_illegal() {
    // i8x16.relaxed_swizzle is 0xFD 0x100 (LEB128 0x80 0x02), the last one
    // i32x4.relaxed_dot_i8x16_i7x16_add_s 0xFD 0x113: both are instructions now.
    for code in [[0xfd, 0x80, 0x02, 0x0b], [0xfd, 0x93, 0x02, 0x0b]] {
        body_decode(&code).unwrap_or_else(|e| panic!("{code:x?}: {e}"));
    }
    // 0xFD 0x114 (the bf16 dot product the proposal dropped) is no instruction of any proposal.
    let e = body_error(&[0xfd, 0x94, 0x02, 0x0b]);
    assert_eq!(
        (e.unsupported, e.message.as_str()),
        (None, "illegal opcode fd 114"),
        "{e}"
    );
}
