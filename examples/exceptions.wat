;; A WASI program that throws and catches, written by hand in the shape clang gives C++
;; exceptions with `-fwasm-exceptions` (the tag `__cpp_exception` carries a pointer to the thrown
;; object; a frame with a destructor catches everything with `catch_all_ref`, runs the
;; destructor and rethrows with `throw_ref`). It stands for this C++ program, which Debian's
;; wasm32 libc++abi cannot link (it is built without exception support: no `__cxa_throw`):
;;
;;   struct Oops { int code; };
;;   struct Guard { ~Guard() { ++destroyed; } };
;;   int depth(int n) { Guard g; if (n == 0) throw Oops{42}; return depth(n - 1) + 1; }
;;   int main(int argc, char**) {
;;     int caught = 0;
;;     for (int i = 0; i < 3; i++)
;;       try { depth(i + 2); } catch (const Oops& e) { caught += e.code; }
;;     printf("caught %d, destroyed %d\n", caught, destroyed);
;;     if (argc > 1) depth(1);  // uncaught: the program ends with the exception
;;   }
;;
;; It prints "caught 126, destroyed 12" (3 + 4 + 5 guards) and exits 0; given an argument, it
;; then throws with no handler, which is a trap.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; The C++ exception tag: its payload is the address of the thrown object.
  (tag $cpp_exception (export "__cpp_exception") (param i32))
  (global $destroyed (mut i32) (i32.const 0))
  ;; The thrown `Oops` lives at 1024 (its `code` field).
  (func $throw_oops
    (i32.store (i32.const 1024) (i32.const 42))
    (throw $cpp_exception (i32.const 1024)))
  (func $depth (param $n i32) (result i32)
    (local $result i32)
    (block $cleanup (result exnref)
      (try_table (catch_all_ref $cleanup)
        (if (i32.eqz (local.get $n)) (then (call $throw_oops)))
        (local.set $result
          (i32.add (call $depth (i32.sub (local.get $n) (i32.const 1))) (i32.const 1))))
      ;; ~Guard on the normal path.
      (global.set $destroyed (i32.add (global.get $destroyed) (i32.const 1)))
      (return (local.get $result)))
    ;; ~Guard on the way out, then the exception goes on.
    (global.set $destroyed (i32.add (global.get $destroyed) (i32.const 1)))
    (throw_ref))
  ;; Writes `value` in decimal at `end` backwards; returns where the digits start.
  (func $digits (param $value i32) (param $end i32) (result i32)
    (loop $next
      (local.set $end (i32.sub (local.get $end) (i32.const 1)))
      (i32.store8 (local.get $end)
        (i32.add (i32.const 48) (i32.rem_u (local.get $value) (i32.const 10))))
      (local.set $value (i32.div_u (local.get $value) (i32.const 10)))
      (br_if $next (local.get $value)))
    (local.get $end))
  (func $print (param $start i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $start))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (data (i32.const 100) "caught ")
  (data (i32.const 110) ", destroyed ")
  (func (export "_start")
    (local $i i32) (local $caught i32) (local $start i32)
    (loop $again
      (block $handler (result i32)
        (try_table (catch $cpp_exception $handler)
          (drop (call $depth (i32.add (local.get $i) (i32.const 2)))))
        (unreachable))
      ;; catch (const Oops& e): the payload is &e.
      (local.set $caught (i32.add (i32.load) (local.get $caught)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 3))))
    (call $print (i32.const 100) (i32.const 7))
    (local.set $start (call $digits (local.get $caught) (i32.const 300)))
    (call $print (local.get $start) (i32.sub (i32.const 300) (local.get $start)))
    (call $print (i32.const 110) (i32.const 12))
    (local.set $start (call $digits (global.get $destroyed) (i32.const 300)))
    (call $print (local.get $start) (i32.sub (i32.const 300) (local.get $start)))
    (i32.store8 (i32.const 300) (i32.const 10))
    (call $print (i32.const 300) (i32.const 1))
    ;; argc > 1: an exception with no handler.
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (if (i32.gt_u (i32.load (i32.const 16)) (i32.const 1))
      (then (drop (call $depth (i32.const 1)))))))
