;; The smallest useful module: exports `add`, which returns the sum of two i32s.
;; `add.wasm` is this file in the binary format; a test in crates/cli checks they agree.
(module
  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add))
