"""`async def` / `await` lowering: a translated program behaves as the native one.

Every behaviour test runs its program twice, natively (runtime futures are
awaitable under `block_on`) and translated, asserts both printed the same
(`assert_same_behaviour`) and that what they printed is what Python is known
to print, so a test cannot pass by both sides being empty or equally wrong.

Known bugs are pinned as strict xfails whose reason says input, expected and
actual.
"""

from __future__ import annotations

import ast

import inspect
import subprocess
import sys
import textwrap
import time

import pytest

import desugar
from desugar.runtime import _awaitee
from support import assert_same_behaviour, run, leftover_async

PRELUDE = "from desugar.runtime import block_on, join, sleep, spawn, yield_now\n"


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def translate(source: str, filename: str = "prog.py", **kwargs: object) -> str:
    return desugar.translate(dedent(source), filename, **kwargs)  # type: ignore[arg-type]


def check(source: str, expected: str) -> str:
    """Run ``source`` (after `PRELUDE`) natively and translated; both must print ``expected``."""
    program = PRELUDE + dedent(source)
    code = desugar.translate(program, "program.py")
    compile(code, "program.py", "exec")
    assert leftover_async(code) == []
    native = assert_same_behaviour(program)
    assert native == dedent(expected)
    return code


def exec_both(source: str) -> tuple[dict, dict]:
    """Module namespaces of ``source`` run natively and translated.

    Compiled with ``dont_inherit=True``: `support.run` compiles without it and so
    inherits ``from __future__ import annotations`` from support.py, which turns
    every annotation of the programs it runs into a string.
    """
    source = dedent(source)
    native: dict = {"__name__": "prog"}
    ours: dict = {"__name__": "prog"}
    exec(compile(source, "prog.py", "exec", dont_inherit=True), native)
    exec(compile(desugar.translate(source, "prog.py"), "prog.py", "exec", dont_inherit=True), ours)
    return native, ours


def translate_error(source: str, filename: str = "prog.py") -> str:
    with pytest.raises(desugar.TranslateError) as info:
        desugar.translate(dedent(source), filename)
    return str(info.value)


# ===========================================================================
# The function object: decorators, parameters, metadata
# ===========================================================================


def test_user_decorator_receives_the_async_fn_and_can_await_what_it_returns() -> None:
    code = check(
        """
        import functools
        applied = []

        def logged(fn):
            applied.append(("logged", fn.__name__))
            @functools.wraps(fn)
            async def wrapper(*args, **kwargs):
                print("enter", fn.__name__, args)
                result = await fn(*args, **kwargs)
                print("leave", fn.__name__, result)
                return result
            return wrapper

        def tagged(tag):
            def deco(fn):
                applied.append((tag, fn.__name__))
                fn.tag = tag
                return fn
            return deco

        @tagged("outer")
        @logged
        @tagged("inner")
        async def add(a, b):
            await yield_now()
            return a + b

        async def main():
            print(applied)
            print(add.tag, add.__name__, add.__wrapped__.tag)
            r = await add(1, 2)
            print(r)

        block_on(main())
        """,
        """
        [('inner', 'add'), ('logged', 'add'), ('outer', 'add')]
        outer add inner
        enter add (1, 2)
        leave add 3
        3
        """,
    )
    # Ours is the innermost decorator: right above the `def`, under the user's.
    lines = [line.strip() for line in code.splitlines()]
    at = lines.index("def add(a, b):")
    assert lines[at - 4 : at] == ['@tagged("outer")', "@logged", '@tagged("inner")', "@_ds_rt.async_fn"]


def test_default_values_are_evaluated_once_at_def_time() -> None:
    check(
        """
        count = 0
        def make_default():
            global count
            count += 1
            print("default evaluated", count)
            return []

        async def append(x, acc=make_default(), *, tag=make_default()):
            await yield_now()
            acc.append(x)
            tag.append(-x)
            return acc, tag

        async def main():
            print("main starts, count =", count)
            r = await append(1)
            print(r)
            r = await append(2)
            print(r)
            r = await append(3, [])
            print(r)
            print(count)

        block_on(main())
        """,
        """
        default evaluated 1
        default evaluated 2
        main starts, count = 2
        ([1], [-1])
        ([1, 2], [-1, -2])
        ([3], [-1, -2, -3])
        2
        """,
    )


def test_star_args_and_double_star_kwargs_are_passed_through() -> None:
    check(
        """
        async def f(a, *args, b=10, **kwargs):
            await yield_now()
            return a, args, b, sorted(kwargs.items())

        async def main():
            r = await f(1)
            print(r)
            r = await f(1, 2, 3, b=4, z=5, y=6)
            print(r)
            xs = [7, 8]
            kw = {"b": 0, "q": 1}
            r = await f(*xs, **kw)
            print(r)

        block_on(main())
        """,
        """
        (1, (), 10, [])
        (1, (2, 3), 4, [('y', 6), ('z', 5)])
        (7, (8,), 0, [('q', 1)])
        """,
    )


def test_keyword_only_arguments_are_keyword_only() -> None:
    check(
        """
        async def f(a, *, key, flag=False):
            await yield_now()
            return a, key, flag

        async def main():
            r = await f(1, key=2)
            print(r)
            r = await f(1, flag=True, key=3)
            print(r)
            try:
                f(1, 2)
            except TypeError as e:
                print(e)
            try:
                f(1)
            except TypeError as e:
                print(e)

        block_on(main())
        """,
        """
        (1, 2, False)
        (1, 3, True)
        f() takes 1 positional argument but 2 were given
        f() missing 1 required keyword-only argument: 'key'
        """,
    )


def test_positional_only_arguments_are_positional_only() -> None:
    check(
        """
        async def f(a, b=2, /, c=3):
            await yield_now()
            return a, b, c

        async def main():
            r = await f(1)
            print(r)
            r = await f(1, 5, c=6)
            print(r)
            try:
                f(a=1)
            except TypeError as e:
                print(e)

        block_on(main())
        """,
        """
        (1, 2, 3)
        (1, 5, 6)
        f() got some positional-only arguments passed as keyword arguments: 'a'
        """,
    )


def test_annotations_are_kept() -> None:
    source = """
        async def f(a: int, *args: str, b: "list[int]" = [], **kw: float) -> dict:
            return {}

        async def g():
            x: int = 1
            return x

        class A:
            async def m(self, x: bytes) -> None:
                pass
        """
    native, ours = exec_both(source)
    for get in (lambda ns: ns["f"], lambda ns: ns["g"], lambda ns: ns["A"].m):
        assert get(ours).__annotations__ == get(native).__annotations__
    assert ours["f"].__annotations__ == {
        "a": int, "args": str, "b": "list[int]", "kw": float, "return": dict
    }
    assert ours["g"].__annotations__ == {}
    assert ours["A"].m.__annotations__ == {"x": bytes, "return": None}
    # Through support.run (each program compiled with its own future flags):
    check(
        """
        async def f(a: int, *args: str, b: "list[int]" = [], **kw: float) -> dict:
            return {}

        async def g():
            x: int = 1
            return x

        print(f.__annotations__)
        print(g.__annotations__)
        """,
        """
        {'a': <class 'int'>, 'args': <class 'str'>, 'b': 'list[int]', 'kw': <class 'float'>, 'return': <class 'dict'>}
        {}
        """,
    )


def test_module_docstring_and_future_import_keep_their_place() -> None:
    source = '''
        """Module docstring."""
        from __future__ import annotations
        from desugar.runtime import block_on

        async def f(a: int) -> Missing:
            return a

        print(__doc__)
        print(f.__annotations__)
        print(block_on(f(4)))
        '''
    code = translate(source)
    lines = [line for line in code.splitlines() if line]
    assert lines[:3] == [
        '"""Module docstring."""',
        "from __future__ import annotations",
        "import desugar.runtime as _ds_rt",
    ]
    out = assert_same_behaviour(dedent(source))
    assert out == "Module docstring.\n{'a': 'int', 'return': 'Missing'}\n4\n"


def test_docstring_is_kept() -> None:
    check(
        '''
        async def f():
            """Do f.

            More.
            """
            await yield_now()
            return 1

        async def g(): "one-line"

        async def h():
            "concatenated" " docstring"
            return 2

        class A:
            async def m(self):
                """Method doc."""

        import sys
        if sys.version_info >= (3, 13):  # 3.13 strips the common indentation of docstrings
            assert f.__doc__ == "Do f.\\n\\nMore.\\n", f.__doc__
        else:
            assert f.__doc__ == "Do f.\\n\\n    More.\\n    ", f.__doc__
        print(repr(g.__doc__), repr(h.__doc__), repr(A.m.__doc__))
        print(block_on(f()), block_on(g()), block_on(h()))
        ''',
        """
        'one-line' 'concatenated docstring' 'Method doc.'
        1 None 2
        """,
    )


def test_docstring_sharing_its_line_with_another_statement_is_kept() -> None:
    check(
        """
        async def f():
            "doc"; x = 1

        async def g(): "doc2"; return 1

        print(f.__doc__, g.__doc__)
        """,
        """
        doc doc2
        """,
    )


def test_name_qualname_of_functions_nested_functions_and_methods() -> None:
    check(
        """
        async def top():
            async def inner():
                pass
            def sync():
                async def deeper():
                    pass
                return deeper
            return inner, sync()

        class Outer:
            async def method(self):
                pass
            class Inner:
                async def method(self):
                    pass
            def make(self):
                async def local():
                    pass
                return local

        async def main():
            inner, deeper = await top()
            for fn in (top, inner, deeper, Outer.method, Outer.Inner.method, Outer().make(),
                       Outer().method):
                print(fn.__name__, fn.__qualname__)

        block_on(main())
        """,
        """
        top top
        inner top.<locals>.inner
        deeper top.<locals>.sync.<locals>.deeper
        method Outer.method
        method Outer.Inner.method
        local Outer.make.<locals>.local
        method Outer.method
        """,
    )


def test_module_is_the_defining_module() -> None:
    check(
        """
        async def f():
            pass

        class A:
            async def m(self):
                pass

        print(__name__, f.__module__, A.m.__module__)
        """,
        """
        program program program
        """,
    )


SIGNATURE_SOURCE = """
    async def plain(a, b=1, *args, c, d=2, **kw): pass
    async def posonly(a, b=2, /, c=3, *, d): pass
    async def annotated(x: int, y: "str" = "s") -> bool: pass
    async def nothing(): pass
    class A:
        async def method(self, x, y=0): pass
        @classmethod
        async def cm(cls, x): pass
        @staticmethod
        async def sm(x, *, y): pass
"""


def test_inspect_signature_equals_native() -> None:
    source = dedent(SIGNATURE_SOURCE) + dedent(
        """
        import inspect
        for fn in (plain, posonly, annotated, nothing, A.method, A().method, A.cm, A.sm):
            print(fn.__name__, inspect.signature(fn))
        """
    )
    out = assert_same_behaviour(source)
    assert out == dedent(
        """
        plain (a, b=1, *args, c, d=2, **kw)
        posonly (a, b=2, /, c=3, *, d)
        annotated (x: int, y: 'str' = 's') -> bool
        nothing ()
        method (self, x, y=0)
        method (x, y=0)
        cm (x)
        sm (x, *, y)
        """
    )
    # And compared as Signature objects, not only as text.
    native, ours = exec_both(SIGNATURE_SOURCE)
    assert str(inspect.signature(ours["annotated"])) == "(x: int, y: 'str' = 's') -> bool"
    for name in ("plain", "posonly", "annotated", "nothing"):
        assert inspect.signature(ours[name]) == inspect.signature(native[name])
    for name in ("method", "cm", "sm"):
        assert inspect.signature(getattr(ours["A"], name)) == inspect.signature(
            getattr(native["A"], name)
        )


def test_defaults_and_kwdefaults_attributes_are_kept() -> None:
    check(
        """
        async def f(a, b=2, *, c=3):
            pass
        print(f.__defaults__, f.__kwdefaults__)
        """,
        """
        (2,) {'c': 3}
        """,
    )


def test_decorator_sees_a_coroutine_function() -> None:
    check(
        """
        import inspect
        def deco(fn):
            print("coroutine function:", inspect.iscoroutinefunction(fn))
            return fn
        @deco
        async def f():
            pass
        """,
        """
        coroutine function: True
        """,
    )


# ===========================================================================
# Scopes: closures, nonlocal, global, super, methods
# ===========================================================================


def test_async_closure_mutates_outer_variable_with_nonlocal() -> None:
    check(
        """
        def make_counter():
            count = 0
            async def bump(by):
                nonlocal count
                await yield_now()
                count += by
                return count
            def read():
                return count
            return bump, read

        async def main():
            total = []
            async def record(x):
                await yield_now()
                total.append(x)
            bump, read = make_counter()
            r = await bump(1)
            print(r, read())
            r = await bump(5)
            print(r)
            print(read())
            await record("a")
            await record("b")
            print(total)

        block_on(main())
        """,
        """
        1 1
        6
        6
        ['a', 'b']
        """,
    )


def test_closure_captures_variable_assigned_after_the_async_def() -> None:
    check(
        """
        async def outer():
            async def get():
                await yield_now()
                return late
            late = "late binding"
            return await get()

        print(block_on(outer()))
        """,
        """
        late binding
        """,
    )


def test_global_declaration_in_async_fn() -> None:
    check(
        """
        counter = 0
        async def incr():
            global counter
            await yield_now()
            counter += 1
            created = "local"
            return counter

        async def define():
            global made_here
            made_here = await incr()

        async def main():
            await incr()
            await incr()
            await define()
            print(counter, made_here)

        block_on(main())
        """,
        """
        3 3
        """,
    )


def test_zero_argument_super_in_async_method() -> None:
    check(
        """
        class Base:
            async def greet(self, name):
                await yield_now()
                return f"Base hello {name}"

        class Child(Base):
            async def greet(self, name):
                base = await super().greet(name)
                await yield_now()
                return base + " + Child"

        class GrandChild(Child):
            async def greet(self, name):
                result = await super().greet(name.upper())
                return f"[{result}] from {type(self).__name__} via {__class__.__name__}"

        print(block_on(GrandChild().greet("ann")))
        """,
        """
        [Base hello ANN + Child] from GrandChild via GrandChild
        """,
    )


def test_methods_classmethods_and_staticmethods() -> None:
    check(
        """
        class Account:
            rate = 2

            def __init__(self, balance):
                self.balance = balance

            async def deposit(self, amount):
                await yield_now()
                self.balance += amount
                return self.balance

            @classmethod
            async def open(cls, amount):
                await yield_now()
                return cls(amount * cls.rate)

            @staticmethod
            async def fee(amount):
                await yield_now()
                return amount // 10

        class Premium(Account):
            rate = 3

        async def main():
            a = await Account.open(5)
            print(type(a).__name__, a.balance)
            r = await a.deposit(7)
            print(r)
            r = await Account.deposit(a, 1)
            print(r)
            p = await Premium.open(5)
            print(type(p).__name__, p.balance)
            r1 = await Account.fee(55)
            r2 = await p.fee(100)
            print(r1, r2)
            print(type(Account.__dict__["open"]).__name__, type(Account.__dict__["fee"]).__name__)

        block_on(main())
        """,
        """
        Account 10
        17
        18
        Premium 15
        5 10
        classmethod staticmethod
        """,
    )


def test_property_returning_a_future() -> None:
    check(
        """
        class Lazy:
            def __init__(self):
                self.loads = 0

            @property
            async def value(self):
                self.loads += 1
                await sleep(0)
                return 42 + self.loads

        async def main():
            obj = Lazy()
            fut = obj.value
            print("not run yet:", obj.loads)
            r = await fut
            print(r)
            r = await obj.value
            print(r, obj.loads)

        block_on(main())
        """,
        """
        not run yet: 0
        43
        44 2
        """,
    )


def test_nested_async_defs_at_every_depth() -> None:
    check(
        """
        async def level1(x):
            async def level2(y):
                async def level3(z):
                    await yield_now()
                    return z * 2
                w = await level3(y + 1)
                return w + 1
            def sync_factory():
                async def in_sync(v):
                    await yield_now()
                    return -v
                return in_sync
            class Local:
                async def method(self, q):
                    return await level2(q)
            a = await level2(x)
            b = await sync_factory()(a)
            c = await Local().method(b)
            return a, b, c

        print(block_on(level1(1)))
        """,
        """
        (5, -5, -7)
        """,
    )


def test_async_defs_inside_compound_statements_at_module_level() -> None:
    check(
        """
        import contextlib
        flag = True
        if flag:
            async def a(): return "if"
        else:
            async def a(): return "else"
        for _ in range(1):
            async def b(): return "for"
        while True:
            async def c(): return "while"
            break
        try:
            async def d(): return "try"
        except Exception:
            async def d(): return "except"
        else:
            async def e(): return "else"
        finally:
            async def f(): return "finally"
        with contextlib.nullcontext():
            async def g(): return "with"
        match flag:
            case True:
                async def h(): return "match"

        async def main():
            for fn in (a, b, c, d, e, f, g, h):
                r = await fn()
                print(r, end=" ")
            print()

        block_on(main())
        """,
        """
        if for while try else finally with match 
        """,
    )


def test_recursive_async_fib() -> None:
    check(
        """
        calls = 0
        async def fib(n):
            global calls
            calls += 1
            if n < 2:
                await yield_now()
                return n
            a = await fib(n - 1)
            b = await fib(n - 2)
            return a + b

        print(block_on(fib(15)), calls)
        """,
        """
        610 1973
        """,
    )


def test_async_recursion_a_few_hundred_levels_deep() -> None:
    check(
        """
        async def depth(n):
            if n == 0:
                await yield_now()
                return 0
            r = await depth(n - 1)
            return r + 1

        print(block_on(depth(200)))
        """,
        """
        200
        """,
    )


@pytest.mark.xfail(
    _awaitee.IMPLEMENTATION == "python",
    strict=True,
    raises=AssertionError,
    reason=(
        "LIMITATION of the pure-Python runtime only (DESUGAR_PURE_PYTHON=1): each await level "
        "costs two levels of the recursion limit (the coroutine's frame and the awaitee's "
        "`__next__`) against one natively, so `block_on(depth(500))` raises RecursionError "
        "(at the default limit of 1000 it reaches depth 322; native 982). The C runtime has no "
        "frame of its own between the frames of an await chain and reaches 967."
    ),
)
def test_async_recursion_as_deep_as_native() -> None:
    check(
        """
        async def depth(n):
            if n == 0:
                await yield_now()
                return 0
            r = await depth(n - 1)
            return r + 1

        try:
            print(block_on(depth(500)))
        except RecursionError:
            print("RecursionError")
        """,
        """
        500
        """,
    )


def test_mutually_recursive_async_functions() -> None:
    check(
        """
        async def is_even(n):
            if n == 0:
                return True
            await yield_now()
            return await is_odd(n - 1)

        async def is_odd(n):
            if n == 0:
                return False
            return await is_even(n - 1)

        async def main():
            r = await is_even(10)
            print(r)
            r = await is_even(21)
            s = await is_odd(21)
            print(r, s)

        block_on(main())
        """,
        """
        True
        False True
        """,
    )


# ===========================================================================
# Calling: wrong arguments fail at call time with Python's message
# ===========================================================================


def test_wrong_arguments_raise_the_native_type_error_at_call_time_before_awaiting() -> None:
    check(
        """
        async def f(a, b, *, c):
            print("body ran")

        class A:
            async def m(self, x):
                print("body ran")

        calls = [
            lambda: f(1),
            lambda: f(1, 2),
            lambda: f(1, 2, 3, c=4),
            lambda: f(1, 2, c=3, d=4),
            lambda: f(1, 2, a=1, c=3),
            lambda: A().m(),
            lambda: A().m(1, 2),
            lambda: A.m(),
        ]
        for call in calls:
            try:
                call()
            except TypeError as e:
                print("TypeError:", e)
            else:
                print("no error")
        coro = f(1, 2, c=3)
        print("created, not run")
        block_on(coro)
        """,
        """
        TypeError: f() missing 1 required positional argument: 'b'
        TypeError: f() missing 1 required keyword-only argument: 'c'
        TypeError: f() takes 2 positional arguments but 3 positional arguments (and 1 keyword-only argument) were given
        TypeError: f() got an unexpected keyword argument 'd'
        TypeError: f() got multiple values for argument 'a'
        TypeError: A.m() missing 1 required positional argument: 'x'
        TypeError: A.m() takes 2 positional arguments but 3 were given
        TypeError: A.m() missing 2 required positional arguments: 'self' and 'x'
        created, not run
        body ran
        """,
    )


def test_body_does_not_run_until_awaited() -> None:
    check(
        """
        async def f(tag):
            print("run", tag)
            return tag

        async def main():
            a = f("a")
            b = f("b")
            print("created both")
            r = await b
            print(r)
            r = await a
            print(r)

        block_on(main())
        """,
        """
        created both
        run b
        b
        run a
        a
        """,
    )


# ===========================================================================
# Control flow around awaits
# ===========================================================================


def test_awaits_in_for_and_while_loops_with_break_and_continue() -> None:
    check(
        """
        async def double(x):
            await yield_now()
            return x * 2

        async def main():
            out = []
            for i in range(10):
                if i == 1:
                    continue
                v = await double(i)
                if v > 10:
                    break
                out.append(v)
            else:
                out.append("no break")
            print(out)
            n = 0
            seen = []
            while n < 8:
                n += 1
                if n % 3 == 0:
                    await yield_now()
                    continue
                d = await double(n)
                seen.append(d)
                if n == 7:
                    break
            else:
                seen.append("else")
            print(seen, n)
            for i in range(2):
                await double(i)
            else:
                print("for-else ran")

        block_on(main())
        """,
        """
        [0, 4, 6, 8, 10]
        [2, 4, 8, 10, 14] 7
        for-else ran
        """,
    )


def test_try_except_finally_order_with_exceptions_deep_in_an_await_chain() -> None:
    check(
        """
        async def level3(kind):
            await sleep(0)
            try:
                if kind == "value":
                    raise ValueError("deep value")
                if kind == "key":
                    raise KeyError("deep key")
                if kind == "type":
                    raise TypeError("deep type")
                return "ok"
            finally:
                print("  finally 3", kind)

        async def level2(kind):
            try:
                r = await level3(kind)
                print("  level2 got", r)
                return r
            except ValueError as e:
                print("  level2 caught", repr(e))
                return "recovered at 2"
            finally:
                await yield_now()
                print("  finally 2")

        async def level1(kind):
            try:
                return await level2(kind)
            except KeyError as e:
                print("  level1 caught", repr(e))
                return "recovered at 1"
            else:
                print("  level1 else")
            finally:
                print("  finally 1")

        async def main():
            for kind in ("none", "value", "key", "type"):
                print(kind)
                try:
                    r = await level1(kind)
                    print("  result:", r)
                except Exception as e:
                    print("  main caught", repr(e))

        block_on(main())
        """,
        """
        none
          finally 3 none
          level2 got ok
          finally 2
          finally 1
          result: ok
        value
          finally 3 value
          level2 caught ValueError('deep value')
          finally 2
          finally 1
          result: recovered at 2
        key
          finally 3 key
          finally 2
          level1 caught KeyError('deep key')
          finally 1
          result: recovered at 1
        type
          finally 3 type
          finally 2
          finally 1
          main caught TypeError('deep type')
        """,
    )


def test_uncaught_exception_from_an_await_chain_propagates_out_of_block_on() -> None:
    check(
        """
        async def inner():
            await yield_now()
            raise LookupError("nobody catches me")

        async def outer():
            await inner()
            print("not reached")

        print("start")
        block_on(outer())
        """,
        """
        start
        LookupError: nobody catches me
        !! LookupError
        """,
    )


def test_exception_chaining_raise_from_and_implicit_context() -> None:
    check(
        """
        async def fail(msg):
            await yield_now()
            raise ValueError(msg)

        async def wrap_explicit():
            try:
                await fail("explicit")
            except ValueError as e:
                raise RuntimeError("wrapped") from e

        async def wrap_implicit():
            try:
                await fail("implicit")
            except ValueError:
                await yield_now()
                raise KeyError("during handling")

        async def suppress():
            try:
                await fail("suppressed")
            except ValueError:
                raise TypeError("clean") from None

        async def fail_while_handling():
            try:
                raise IndexError("outer")
            except IndexError:
                await fail("inner while handling")

        def describe(e):
            return (repr(e), repr(e.__cause__), repr(e.__context__), e.__suppress_context__)

        async def main():
            for fn in (wrap_explicit, wrap_implicit, suppress, fail_while_handling):
                try:
                    await fn()
                except Exception as e:
                    print(*describe(e))

        block_on(main())
        """,
        """
        RuntimeError('wrapped') ValueError('explicit') ValueError('explicit') True
        KeyError('during handling') None ValueError('implicit') False
        TypeError('clean') None ValueError('suppressed') True
        ValueError('inner while handling') None IndexError('outer') False
        """,
    )


def test_stop_iteration_in_async_fn_becomes_runtime_error_with_native_message() -> None:
    check(
        """
        async def f():
            raise StopIteration(5)

        async def main():
            try:
                await f()
            except RuntimeError as e:
                print(repr(e), repr(e.__cause__))

        block_on(main())
        """,
        """
        RuntimeError('coroutine raised StopIteration') StopIteration(5)
        """,
    )


def test_awaiting_a_custom_awaitable_whose_await_is_a_generator() -> None:
    check(
        """
        class Twice:
            def __init__(self, x):
                self.x = x
            def __await__(self):
                yield from sleep(0).__await__()
                yield from yield_now().__await__()
                return self.x * 2

        async def main():
            x = await Twice(21)
            print(x)

        block_on(main())
        """,
        """
        42
        """,
    )


def test_awaiting_an_object_whose_await_returns_a_plain_iterator() -> None:
    check(
        """
        class It:
            def __await__(self):
                return iter([])

        async def main():
            x = await It()
            print(x)

        block_on(main())
        """,
        """
        None
        """,
    )


def test_awaiting_a_non_awaitable_raises_the_native_type_error() -> None:
    check(
        """
        async def main():
            try:
                await 3
            except TypeError as e:
                print(e)
            try:
                x = await None
            except TypeError as e:
                print(e)

        block_on(main())
        """,
        """
        object int can't be used in 'await' expression
        object NoneType can't be used in 'await' expression
        """,
    )


def test_awaiting_the_same_coroutine_twice_raises_runtime_error() -> None:
    # The messages differ on purpose (the runtime explains in Rust's terms); the type does not.
    check(
        """
        async def f():
            return 1

        async def main():
            c = f()
            x = await c
            try:
                y = await c
            except RuntimeError as e:
                print(type(e).__name__, x)

        block_on(main())
        """,
        """
        RuntimeError 1
        """,
    )


def test_return_without_value_and_falling_off_the_end_give_none() -> None:
    check(
        """
        async def early(x):
            if x:
                await yield_now()
                return
            print("not early")

        async def fall_off():
            await yield_now()

        async def main():
            r = await early(True)
            print(r)
            r = await early(False)
            print(r)
            r = await fall_off()
            print(r)

        block_on(main())
        """,
        """
        None
        not early
        None
        None
        """,
    )


def test_async_fn_without_any_await() -> None:
    check(
        """
        async def pure(x):
            return x * 3

        async def nothing():
            pass

        async def main():
            r1 = await pure(4)
            r2 = await nothing()
            print(r1, r2)
            r = await pure("ab")
            print(r)

        block_on(main())
        print(block_on(pure(5)))
        """,
        """
        12 None
        ababab
        15
        """,
    )


def test_spawned_tasks_interleave_the_same_way() -> None:
    check(
        """
        async def worker(name, n):
            for i in range(n):
                print(name, i)
                await yield_now()
            return name * n

        async def main():
            h1 = spawn(worker("a", 3))
            h2 = spawn(worker("b", 2))
            print("spawned")
            r = await join(h1, h2)
            print(r)
            await sleep(0.001)
            print("slept")

        block_on(main())
        """,
        """
        spawned
        a 0
        b 0
        a 1
        b 1
        a 2
        ('aaa', 'bb')
        slept
        """,
    )


# ===========================================================================
# Every supported statement form of `await`
# ===========================================================================


def test_await_as_an_expression_statement() -> None:
    check(
        """
        async def effect(log, x):
            await yield_now()
            log.append(x)
            return "discarded"

        async def main():
            log = []
            await effect(log, 1)
            await effect(log, 2)
            (await effect(log, 3))
            print(log)

        block_on(main())
        """,
        """
        [1, 2, 3]
        """,
    )


def test_await_on_the_right_of_assignments_plain_chained_annotated_and_unpacking() -> None:
    check(
        """
        class Box:
            pass

        async def value(x):
            await yield_now()
            return x

        async def main():
            x = await value(1)
            a = b = await value([2])
            c: int = await value(3)
            d, (e, *f) = await value((4, (5, 6, 7)))
            box = Box()
            box.attr = await value("attr")
            store = {}
            store["k"] = store2 = await value("key")
            y = (
                await value("parenthesised")
            )
            print(x, a, b, a is b, c, d, e, f, box.attr, store, store2, y)

        block_on(main())
        """,
        """
        1 [2] [2] True 3 4 5 [6, 7] attr {'k': 'key'} key parenthesised
        """,
    )


def test_assignment_awaits_before_evaluating_its_targets_left_to_right() -> None:
    check(
        """
        log = []

        class D(dict):
            def __setitem__(self, k, v):
                log.append(("set", k, v))
                super().__setitem__(k, v)

        d = D()

        def key(k):
            log.append(("key", k))
            return k

        def target():
            log.append("target")
            return d

        async def v(x):
            log.append(("v", x))
            await yield_now()
            return x

        async def main():
            target()[key("a")] = target()[key("b")] = await v(1)
            for entry in log:
                print(entry)

        block_on(main())
        """,
        """
        ('v', 1)
        target
        ('key', 'a')
        ('set', 'a', 1)
        target
        ('key', 'b')
        ('set', 'b', 1)
        """,
    )


def test_await_of_await() -> None:
    check(
        """
        async def inner():
            await yield_now()
            return "inner"

        async def outer():
            await yield_now()
            return inner()

        async def main():
            x = await (await outer())
            print(x)
            return await (await outer())

        print(block_on(main()))
        """,
        """
        inner
        inner
        """,
    )


def test_return_await() -> None:
    check(
        """
        async def leaf(x):
            await sleep(0)
            return x + 1

        async def middle(x):
            return await leaf(x)

        async def top(x):
            try:
                return await middle(x)
            finally:
                print("finally after return value computed")

        print(block_on(top(1)))
        """,
        """
        finally after return value computed
        2
        """,
    )


def test_augmented_assignment_reads_a_global_before_the_await() -> None:
    check(
        """
        x = 10
        async def bump_global():
            global x
            await yield_now()
            x = 1000
            return 1

        async def main():
            global x
            x += await bump_global()
            print(x)

        block_on(main())
        """,
        """
        11
        """,
    )


def test_augmented_assignment_reads_a_nonlocal_and_a_local_before_the_await() -> None:
    check(
        """
        async def main():
            total = 100
            async def change():
                nonlocal total
                await yield_now()
                total = -1
                return 5
            total += await change()
            print(total)
            items = [1]
            async def extend():
                items.append("inside")
                return ["rhs"]
            items += await extend()
            print(items)
            s = "a"
            s *= await (lambda: change())()
            print(s)

        block_on(main())
        """,
        """
        105
        [1, 'inside', 'rhs']
        aaaaa
        """,
    )


def test_augmented_attribute_assignment_order_of_side_effects() -> None:
    check(
        """
        log = []

        class Obj:
            def __init__(self):
                object.__setattr__(self, "_attr", 1)
            def __getattr__(self, name):
                raise AttributeError(name)
            @property
            def attr(self):
                log.append("get attr")
                return self._attr
            @attr.setter
            def attr(self, value):
                log.append(f"set attr {value}")
                self._attr = value

        obj = Obj()
        def get_obj():
            log.append("eval obj")
            return obj

        async def rhs():
            log.append("rhs called")
            await yield_now()
            log.append("rhs done")
            obj._attr = 1000
            return 41

        async def main():
            get_obj().attr += await rhs()
            print(obj._attr)
            print(log)

        block_on(main())
        """,
        """
        42
        ['eval obj', 'get attr', 'rhs called', 'rhs done', 'set attr 42']
        """,
    )


def test_augmented_subscript_assignment_order_of_side_effects() -> None:
    check(
        """
        log = []

        class Recorder(dict):
            def __getitem__(self, key):
                log.append(f"getitem {key!r}")
                return super().__getitem__(key)
            def __setitem__(self, key, value):
                log.append(f"setitem {key!r} {value!r}")
                super().__setitem__(key, value)

        d = Recorder(k=1)
        d2 = Recorder()
        d2[("a", 1)] = 10
        log.clear()

        def get_d(which):
            log.append(f"eval target {which}")
            return which

        def key(k):
            log.append(f"eval key {k!r}")
            return k

        async def rhs(n):
            log.append("rhs called")
            await yield_now()
            if n == 41:
                dict.__setitem__(d, "k", 1000)
            log.append("rhs done")
            return n

        async def main():
            get_d(d)[key("k")] += await rhs(41)
            get_d(d2)[key("a"), 1] -= await rhs(3)
            print(dict(d), dict(d2))
            for entry in log:
                print(entry)

        block_on(main())
        """,
        """
        {'k': 42} {('a', 1): 7}
        eval target {'k': 1}
        eval key 'k'
        getitem 'k'
        rhs called
        rhs done
        setitem 'k' 42
        eval target {('a', 1): 10}
        eval key 'a'
        getitem ('a', 1)
        rhs called
        rhs done
        setitem ('a', 1) 7
        """,
    )


def test_augmented_slice_assignment() -> None:
    check(
        """
        class Seq(list):
            def __getitem__(self, key):
                print("getitem", key)
                return Seq(super().__getitem__(key))
            def __setitem__(self, key, value):
                print("setitem", key, value)
                super().__setitem__(key, value)

        async def more(xs):
            await yield_now()
            return xs

        async def main():
            lst = [0, 1, 2, 3, 4]
            lst[1:3] += await more([9, 9])
            print(lst)
            seq = Seq([0, 1, 2, 3, 4, 5])
            seq[::2] *= await more(1)
            seq[:2] += await more(["x"])
            seq[-1:] += await more([])
            print(seq)

        block_on(main())
        """,
        """
        [0, 1, 2, 9, 9, 3, 4]
        getitem slice(None, None, 2)
        setitem slice(None, None, 2) [0, 2, 4]
        getitem slice(None, 2, None)
        setitem slice(None, 2, None) [0, 1, 'x']
        getitem slice(-1, None, None)
        setitem slice(-1, None, None) [5]
        [0, 1, 'x', 2, 3, 4, 5]
        """,
    )


def test_augmented_slice_assignment_does_not_use_a_user_defined_slice() -> None:
    check(
        """
        def slice(*args):
            return "oops"

        async def g():
            return [9]

        async def f():
            lst = [1, 2, 3, 4]
            lst[1:3] += await g()
            print(lst)

        block_on(f())
        """,
        """
        [1, 2, 3, 9, 4]
        """,
    )


def test_several_statements_on_one_line_separated_by_semicolons() -> None:
    code = check(
        """
        async def v(x):
            await yield_now()
            print("v", x)
            return x

        async def main():
            print("start"); a = await v(1); b = await v(2); print("between"); await v(3); c = a + b; print(c)
            x = 0; x += await v(5); print(x)
            return await v(a); print("unreachable")

        print(block_on(main()))
        """,
        """
        start
        v 1
        v 2
        between
        v 3
        3
        v 5
        5
        v 1
        1
        """,
    )
    assert "unreachable" in code


def test_one_line_suites_with_await() -> None:
    check(
        """
        import contextlib

        async def v(x):
            await yield_now()
            return x

        async def main(c):
            x = "unset"
            if c: x = await v("if")
            elif c is None: x = await v("elif"); print("same line")
            else: await v("else"); x = "else"
            for i in range(2): x += await v(str(i))
            while c: c = await v(False)
            try: y = await v("try")
            except Exception: pass
            finally: print("finally")
            with contextlib.nullcontext() as fh: z = await v("with")
            return x, y, z

        async def one_liner(): return await v("one-liner")

        async def main2():
            for c in (True, None, False):
                r = await main(c)
                print(r)
            r = await one_liner()
            print(r)

        block_on(main2())
        """,
        """
        finally
        ('if01', 'try', 'with')
        same line
        finally
        ('elif01', 'try', 'with')
        finally
        ('else01', 'try', 'with')
        one-liner
        """,
    )


def test_trailing_and_own_line_comments_are_preserved() -> None:
    code = translate(
        """
        async def g():
            return 1  # return-comment

        # before-f
        async def f():  # def-line-comment
            # own-line-comment
            x = await g()  # assign-comment
            await g()  # expr-comment
            x += await g()  # augassign-comment
            return await g()  # return-await-comment
        """
    )
    for comment in (
        "# return-comment",
        "# before-f",
        "# def-line-comment",
        "# own-line-comment",
        "# assign-comment",
        "# expr-comment",
        "# augassign-comment",
        "# return-await-comment",
    ):
        assert comment in code, comment
    compile(code, "prog.py", "exec")
    # Each await says where it came from.
    assert "# line 7: await g()" in code
    assert "# line 8: await g()" in code
    assert "# line 10: await g()" in code


def test_trailing_comment_of_a_one_line_suite_is_preserved() -> None:
    code = translate(
        """
        async def g(): return 1
        async def f(c):
            if c: x = await g()  # suite-comment
            return x
        async def h(): return 1  # def-comment
        """
    )
    assert "# suite-comment" in code
    assert "# def-comment" in code


# ===========================================================================
# Errors: located, with the line and a caret
# ===========================================================================


@pytest.mark.parametrize(
    "statement",
    [
        "x = 1 + await g()",
        "x = [await g()]",
        "x = (await g(),)",
        "if await g(): pass",
        "while await g(): break",
        "return [await g()]",
        "x = await g() if c else 0",
        "(y := await g())",
        "obj.attr = h(await g())",
        "héé = 'é'; y = h(await g())",
        "for i in [await g()]: pass",
        "assert await g()",
        "async with cm: pass",
        "async for x in it: pass",
        "return [x async for x in it]",
        "return {x: 1 async for x in it}",
        "yield 1",
        "x = yield",
    ],
)
def test_every_async_construct_translates_to_code_that_compiles(statement: str) -> None:
    source = f"async def f(c, obj, h, cm, it):\n    {statement}\n"
    out = desugar.translate(source, "prog.py")
    compile(out, "prog.py", "exec", dont_inherit=True)
    tree = ast.parse(out)
    # An async generator stays a native one (its items are yielded as natively);
    # its poll loops suspend with `await _ds_awaitee`, the only await left.
    async_gens = {
        n for n in ast.walk(tree)
        if isinstance(n, ast.AsyncFunctionDef) and any(isinstance(y, ast.Yield) for y in ast.walk(n))
    }
    leftovers = [
        type(n).__name__
        for n in ast.walk(tree)
        if isinstance(n, (ast.AsyncFunctionDef, ast.Await, ast.AsyncFor, ast.AsyncWith))
        or isinstance(n, ast.comprehension) and n.is_async
    ]
    ours = [
        type(n).__name__
        for n in ast.walk(tree)
        if n in async_gens or isinstance(n, ast.Await) and ast.unparse(n) == "await _ds_awaitee"
    ]
    assert leftovers == ours
    assert bool(async_gens) == ("yield" in statement)


def test_errors_are_translate_errors_with_attributes() -> None:
    with pytest.raises(desugar.TranslateError) as info:
        desugar.translate("async def f():\n    _ds_x = await g()\n", "prog.py")
    error = info.value
    assert (error.filename, error.line, error.col) == ("prog.py", 2, 5)
    assert error.source_line == "    _ds_x = await g()"


@pytest.mark.parametrize(
    ("source", "line", "col", "name"),
    [
        ("async def f():\n    _ds_x = 1\n", 2, 5, "_ds_x"),
        ("async def _ds_f():\n    pass\n", 1, 1, "_ds_f"),
        ("async def f(_ds_arg):\n    pass\n", 1, 13, "_ds_arg"),
        ("import os as _ds_os\nasync def f(): pass\n", 1, 8, "_ds_os"),
        ("async def f():\n    global _ds_g\n", 2, 5, "_ds_g"),
        ("async def f():\n    try: pass\n    except E as _ds_e: pass\n", 3, 5, "_ds_e"),
        ("class _ds_C:\n    async def m(self): pass\n", 1, 1, "_ds_C"),
    ],
)
def test_reserved_prefix_names_are_rejected(source: str, line: int, col: int, name: str) -> None:
    error = translate_error(source)
    assert error.splitlines()[0] == (
        f"prog.py:{line}:{col}: the name {name!r} uses the prefix '_ds_', which desugar "
        "reserves for the names it generates"
    )
    assert error.splitlines()[-1] == "rename it so that it does not start with '_ds_'"


def test_syntax_error_is_reported_as_file_line_col_syntax_error() -> None:
    error = translate_error("async def f(:\n    pass\n")
    assert error == "prog.py:1:13: SyntaxError: invalid syntax\n    async def f(:\n                ^"
    error = translate_error("x = 1\nasync def f():\n    return await\n")
    assert error.startswith("prog.py:3:")
    assert ": SyntaxError: " in error.splitlines()[0]
    error = translate_error("def f():\n    await g()\n", "other.py")
    assert error.startswith("other.py:2:5: SyntaxError: 'await' outside async function")


# ===========================================================================
# Whole-module properties
# ===========================================================================

PLAIN_MODULE = "".join(
    f"def func_{i}(x, y=2):\n    return x * y + {i}  # comment {i}\n" for i in range(500)
)


def test_module_without_async_is_returned_unchanged_without_libcst() -> None:
    # (How fast that is belongs to bench/, not to an assertion on a loaded machine.)
    assert PLAIN_MODULE.count("\n") == 1000
    code = (
        "import sys, desugar\n"
        f"source = {PLAIN_MODULE!r}\n"
        "assert desugar.translate(source, 'plain.py') is source\n"
        "print('libcst' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout == "False\n", result.stderr


def test_module_mentioning_async_only_in_text_is_returned_unchanged() -> None:
    source = '# async here\nx = "await there"\ndef f():\n    return "async def"\n'
    assert desugar.translate(source, "prog.py") == source


def test_translating_translated_output_returns_it_unchanged() -> None:
    once = translate(
        """
        from desugar.runtime import block_on
        async def f(x):
            y = await g(x)
            return y
        """
    )
    assert desugar.translate(once, "prog.py") == once
    assert desugar.translate(once, "prog.py", format=False) == once

SNIPPETS = [
    "async def f(): pass\n",
    "async def f(): return await g()\n",
    "async def f():\n    '''doc'''\n",
    "async def f():\n    x = await g(); y = await h(); await i()\n",
    "async def f():\n    if a: await g()\n    elif b: x = await g()\n    else: return await g()\n",
    "async def f():\n    x[a:b:c] += await g()\n    x.y.z -= await g()\n    x[(1, *a)] |= await g()\n",
    pytest.param(
        "async def f():\n    x[1, *a] |= await g()\n",
        marks=pytest.mark.skipif(
            sys.version_info < (3, 11), reason="a starred subscript `x[1, *a]` is new in Python 3.11"
        ),
    ),
    "async def f():\n    a, b = c = await (await g())\n",
    "async def f():\n    x: 'T' = await g()\n    y: int\n",
    "class A:\n    @staticmethod\n    @other\n    async def f(*, a=lambda: 1): await g()\n",
    "def outer():\n    class B:\n        async def f(self):\n            async def g(): await h()\n            return await g()\n    return B\n",
    pytest.param(
        "async def f():\n    try:\n        await g()\n    except* ValueError:\n        x = await h()\n",
        marks=pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is new in Python 3.11"),
    ),
    "async def f():\n    match x:\n        case 1: await g()\n",
    "async def f():\n    with a as b, c: await g()  # c\n",
    "async def f():\n    while True:\n        await g()\n        break\n    else:\n        await h()\n",
    "'''mod doc'''\nfrom __future__ import annotations\nasync def f() -> X: await g()\n",
    "async def f():\n    return (\n        await g(\n            1,\n        )\n    )\n",
    "async def f():\n\tawait g()\n\tx = await h()\n",
    "async def f(a, /, b, *c, d, **e) -> 'r':\n    global q\n    q += await g()\n",
    "def f():\n    async def g(): await h()\n    return g\n",
]


@pytest.mark.parametrize("snippet", SNIPPETS)
@pytest.mark.parametrize("format", [True, False])
def test_every_translation_compiles(snippet: str, format: bool) -> None:
    code = desugar.translate(snippet, "prog.py", format=format)
    compile(code, "prog.py", "exec")
    assert leftover_async(code) == []
    assert "import desugar.runtime as _ds_rt" in code


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_translating_a_translation_again_changes_nothing(snippet: str) -> None:
    once = desugar.translate(snippet, "prog.py")
    assert desugar.translate(once, "prog.py") == once


def test_run_helper_reports_translated_failures_the_same_way() -> None:
    # Sanity check of the harness itself: a failing program yields its error, both ways.
    source = PRELUDE + "async def f():\n    raise ValueError('x')\nblock_on(f())\n"
    assert run(source, translated=False) == "ValueError: x\n!! ValueError\n"
    assert run(source, translated=True) == "ValueError: x\n!! ValueError\n"
