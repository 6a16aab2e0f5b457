//! The GC proposal's types decode: its abstract heap types and their shorthands, struct and
//! array types with packed and mutable fields, in recursion groups and `sub` declarations.

use ssvm_binary::{
    CompositeType, FieldType, HeapType, Module, RefType, StorageType, TypeDecl, ValType,
};

/// A module with one type section of these contents.
fn types_module(content: &[u8]) -> Vec<u8> {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    out.push(1);
    out.push(content.len() as u8);
    out.extend_from_slice(content);
    out
}

fn decode_types(content: &[u8]) -> Vec<CompositeType> {
    let bytes = types_module(content);
    Module::decode(&bytes).expect("decodes").types
}

#[test]
fn every_abstract_heap_type_decodes_in_both_spellings() {
    let cases = [
        (0x6e, HeapType::Any, "anyref"),
        (0x6d, HeapType::Eq, "eqref"),
        (0x6c, HeapType::I31, "i31ref"),
        (0x6b, HeapType::Struct, "structref"),
        (0x6a, HeapType::Array, "arrayref"),
        (0x71, HeapType::None, "nullref"),
        (0x73, HeapType::NoFunc, "nullfuncref"),
        (0x72, HeapType::NoExtern, "nullexternref"),
        (0x74, HeapType::NoExn, "nullexnref"),
    ];
    for (byte, heap, shorthand) in cases {
        // `[shorthand (ref heap)] -> []`.
        let types = decode_types(&[1, 0x60, 2, byte, 0x64, byte, 0]);
        let f = types[0].as_func().expect("a function type");
        assert_eq!(
            *f.params,
            [
                ValType::Ref(RefType::null(heap)),
                ValType::Ref(RefType {
                    nullable: false,
                    heap
                })
            ]
        );
        assert_eq!(f.params[0].to_string(), shorthand);
        assert_eq!(f.params[1].to_string(), format!("(ref {heap})"));
    }
}

#[test]
fn struct_and_array_types_decode_with_their_fields() {
    // A struct of `i8`, `(mut i16)`, `(mut i64)` and `(ref null 1)`; an array of `(mut anyref)`.
    let types = decode_types(&[
        2, 0x5f, 4, 0x78, 0, 0x77, 1, 0x7e, 1, 0x63, 1, 0, 0x5e, 0x6e, 1,
    ]);
    let field = |storage, mutable| FieldType { storage, mutable };
    assert_eq!(
        types[0],
        CompositeType::Struct(Box::new([
            field(StorageType::I8, false),
            field(StorageType::I16, true),
            field(StorageType::Val(ValType::I64), true),
            field(
                StorageType::Val(ValType::Ref(RefType::null(HeapType::Concrete(1)))),
                false
            ),
        ]))
    );
    assert_eq!(
        types[1],
        CompositeType::Array(field(StorageType::Val(ValType::ANYREF), true))
    );
    assert_eq!(
        types[0].to_string(),
        "(struct i8 (mut i16) (mut i64) (ref null 1))"
    );
    assert_eq!(types[1].to_string(), "(array (mut anyref))");
    assert_eq!(
        (types[0].kind(), types[1].kind()),
        (HeapType::Struct, HeapType::Array)
    );
    assert!(types[0].as_func().is_none());
    // The value types a type mentions: packed fields none.
    assert_eq!(
        types[0].val_types(),
        [
            ValType::I64,
            ValType::Ref(RefType::null(HeapType::Concrete(1)))
        ]
    );
}

#[test]
fn struct_types_decode_in_rec_groups_and_sub_declarations() {
    // `(rec (type (sub (struct))) (type (sub final 0 (struct (field i32)))) (type (func)))`.
    let bytes = types_module(&[
        1, 0x4e, 3, 0x50, 0, 0x5f, 0, 0x4f, 1, 0, 0x5f, 1, 0x7f, 0, 0x60, 0, 0,
    ]);
    let m = Module::decode(&bytes).expect("decodes");
    assert_eq!(m.types.len(), 3);
    assert!(matches!(m.types[1], CompositeType::Struct(ref f) if f.len() == 1));
    assert!(m.types[2].as_func().is_some());
    let declared = |is_final, supertypes: &[u32]| TypeDecl {
        group: 0,
        group_len: 3,
        is_final,
        supertypes: supertypes.into(),
    };
    assert_eq!(
        m.type_decls,
        [
            declared(false, &[]),
            declared(true, &[0]),
            declared(true, &[])
        ]
    );
}

#[test]
fn malformed_fields_and_forms_are_malformed() {
    let error = |content: &[u8]| {
        let bytes = types_module(content);
        Module::decode(&bytes).expect_err("must not decode")
    };
    // A field's mutability is 0 or 1.
    let e = error(&[1, 0x5f, 1, 0x7f, 2]);
    assert_eq!((e.message.as_str(), e.offset), ("malformed mutability", 14));
    // Packed types are storage types only, not value types.
    let e = error(&[1, 0x60, 1, 0x78, 0]);
    assert_eq!(e.message, "malformed value type");
    // A form byte of no composite type.
    let e = error(&[1, 0x5d, 0]);
    assert_eq!(
        (e.message.as_str(), e.offset),
        ("integer representation too long", 11)
    );
    // An array type holds one field, whose end the section must reach.
    let e = error(&[1, 0x5e, 0x7f]);
    assert_eq!(e.unsupported, None);
}
