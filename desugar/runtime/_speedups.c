/* The runtime's hot path in C: the awaitee an `await` polls, `into_future`,
 * `async for`'s step (`anext`), and `async_fn`; and the poll recorder's
 * (`desugar.trace`, see "the poll recorder's hot path" below).
 *
 * The same semantics as the pure-Python reference in `_awaitee.py` (which
 * stays the fallback: DESUGAR_PURE_PYTHON=1 selects it). An awaitee wraps
 * what is awaited (a coroutine, or the iterator an `__await__` returned):
 *
 *   poll_with_tls_context()   the first poll: Ready if what is awaited
 *                             completed at once (the result is kept for
 *                             `value`), else what it yielded, kept for the
 *                             `yield from` that follows to hand over;
 *   __next__ / send / throw / close, and am_send
 *                             what `yield from` (or a native `await`) calls
 *                             at each resumption: the kept poll first, then
 *                             each reply passed on to what is awaited;
 *   value                     the result, read once.
 *
 * Resumption uses PyIter_Send, so a completion raises no StopIteration
 * inside the runtime, and no Python frame of the runtime stands between the
 * frames of an await chain: one frame per await level, as natively.
 *
 * What is not on the hot path (`poll(cx)`, `repr`, and the introspection:
 * every attribute the awaitee lacks, and `__class__`, are those of what it
 * awaits) is written in Python in `_awaitee.py`, and so is the reference of
 * everything here, which this module falls back on for the rare cases (what
 * `into_future` gets that is not a coroutine...). As `_asyncio` does with
 * `asyncio`'s modules, this module imports those helpers itself when it is
 * executed (see `import_helpers`); `_awaitee.py` imports it at its end, when
 * every helper is defined, and swaps the C pieces in there.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define DESUGAR_C_API 7  /* see module_exec */
#include <structmember.h>
#if PY_VERSION_HEX >= 0x030B0000
/* _PyInterpreterFrame, for the awaiting frame a throw() runs under (see link_owner) */
#  ifndef Py_BUILD_CORE
#    define Py_BUILD_CORE 1
#  endif
#  include <internal/pycore_frame.h>
#  undef Py_BUILD_CORE
#else
#  include <frameobject.h>
#endif

typedef struct {
    PyObject_HEAD
    PyObject *it;        /* what is awaited; NULL once done */
    PyObject *handover;  /* the first poll's wait, not handed over yet; NULL if none */
    PyObject *value;     /* the result, until read; NULL if none */
    PyObject *owner;     /* a weak reference to the coroutine that waits in it, once it waited */
    PyObject *weakreflist;
    int state;           /* see below */
} AwaiteeObject;

/* An awaitee is polled by the generated code in one of two shapes:
 *
 *   if aw.poll_with_tls_context() is not Ready:    for _ds_poll in aw:
 *       yield from aw                                  yield from aw
 *
 * In the `for` shape the loop's first step is the first poll: its wait is
 * returned as the loop's item and kept, and the `yield from` in the body
 * (which asks for the iterator again first) hands it to the driver; when
 * what is awaited completes, the step that finds it done ends the loop. A
 * native `await aw` (or a `yield from aw` elsewhere) asks for the iterator
 * once and then steps it, so a kept wait is handed over only when the
 * iterator is asked for again after it was offered; otherwise the driver has
 * it already and the next step resumes what is awaited. */
enum {
    FRESH = 0,      /* not polled */
    ITERATING,      /* asked for its iterator while fresh: the next step is the first poll */
    OFFERED,        /* the first poll's wait was returned by a step and kept */
    RUNNING,        /* each step resumes what is awaited (after the kept wait, if any) */
    FINISHED,       /* what is awaited completed or failed: one more step ends a `for` quietly */
    DONE,           /* any further step is a reuse */
};

/* The Python side's helpers, from `desugar.runtime._awaitee` (see import_helpers). */
static PyObject *Ready = NULL;          /* the class: the marker `poll_with_tls_context` returns */
static PyObject *PendingMarker = NULL;  /* `Pending`: the `for` shape's item (the wait itself is kept) */
static PyObject *Empty = NULL;          /* `_handover`'s "nothing kept" sentinel in Python */
static PyObject *py_into_future = NULL; /* the reference `into_future`, for what is not a coroutine */
static PyObject *py_exception = NULL;   /* `_exception(typ, val, tb)`: what throw() raises */
static PyObject *py_suspended = NULL;   /* `_suspended(coro)` where cr_suspended is missing (3.10) */
static getter cr_suspended = NULL;      /* the C getter of coroutine.cr_suspended (3.11+) */
static PyObject *py_poll = NULL;        /* PyAwaitee.poll(self, cx) */
static PyObject *py_inspect = NULL;     /* _inspect(self, name): what the awaited object answers */
static PyObject *py_repr = NULL;        /* PyAwaitee.__repr__(self) */

#define FREE_MAX 64
static PyObject *free_list[FREE_MAX];   /* dead awaitees of this exact type, for reuse */
static int free_count = 0;

static PyObject *str_throw = NULL;
static PyObject *str_close = NULL;
static PyObject *str_value = NULL;  /* "value", interned: the name every await's result is read by */

static PyTypeObject AwaiteeType;

/* ---- 3.10: errors raised at the statement, with no frame of the runtime ----
 *
 * Natively the protocols' errors (`async with 1`, `await 1`, an `__anext__`
 * that returns no awaitable...) are raised by the opcode: the traceback goes
 * from the awaiting frame to the user's method that raised, if any. Where a
 * step of ours is Python (`async_with`, `aiter`, the hir style's poll, the
 * callback lowerings' resumption), 3.11+ lets it take its own entries off the
 * traceback and re-raise with a bare `raise`. 3.10 cannot: its eval loop
 * records an entry for each Python frame an error leaves, and its bare
 * `raise` restores the traceback caught, entry and all. So on 3.10 such a
 * step is called through C, which takes the runtime's leading entries off
 * what it raised before the awaiting frame records its own. */

static PyObject *runtime_prefix = NULL;  /* "desugar.runtime.": the runtime's modules */

/* Is `frame` one of the runtime's Python frames (its module's name under the package)? */
static int
is_runtime_frame(PyObject *frame)
{
    PyObject *globals = PyObject_GetAttrString(frame, "f_globals");
    if (globals == NULL) {
        PyErr_Clear();
        return 0;
    }
    PyObject *name = PyDict_Check(globals) ? PyDict_GetItemString(globals, "__name__") : NULL;
    int found = name != NULL && PyUnicode_Check(name)
                && PyUnicode_Tailmatch(name, runtime_prefix, 0, PY_SSIZE_T_MAX, -1) == 1;
    Py_DECREF(globals);
    return found;
}

/* The error being raised, with the runtime's entries at the top of its traceback taken off. */
static void
strip_runtime_entries(void)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyObject *kept = tb;
    while (kept != NULL && PyTraceBack_Check(kept)
           && is_runtime_frame((PyObject *)((PyTracebackObject *)kept)->tb_frame)) {
        kept = (PyObject *)((PyTracebackObject *)kept)->tb_next;
    }
    if (kept != tb) {
        Py_XINCREF(kept);
        Py_XSETREF(tb, kept);
        if (value != NULL) {
            PyException_SetTraceback(value, tb != NULL ? tb : Py_None);
        }
    }
    PyErr_Restore(type, value, tb);
}

#if PY_VERSION_HEX < 0x030B0000
#  define STRIP_RUNTIME_ENTRIES(result) do { if ((result) == NULL) strip_runtime_entries(); } while (0)
#else
#  define STRIP_RUNTIME_ENTRIES(result) ((void)0)  /* (3.11+: each Python step drops its own) */
#endif

/* `frameless(fn)`: `fn` called through C, which takes the runtime's entries off
 * the top of the traceback of what it raises (used on 3.10, see above). */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *fn;
} FramelessObject;

static PyObject *
frameless_call(FramelessObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    PyObject *result = PyObject_Vectorcall(self->fn, args, nargsf, kwnames);
    if (result == NULL) {
        strip_runtime_entries();
    }
    return result;
}

static int
frameless_traverse(FramelessObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->fn);
    return 0;
}

static int
frameless_clear(FramelessObject *self)
{
    Py_CLEAR(self->fn);
    return 0;
}

static void
frameless_dealloc(FramelessObject *self)
{
    PyObject_GC_UnTrack(self);
    frameless_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
frameless_repr(FramelessObject *self)
{
    return PyObject_Repr(self->fn);
}

/* What the function has (its name, qualname, signature...), as `functools.wraps` would copy it. */
static PyObject *
frameless_getattro(FramelessObject *self, PyObject *name)
{
    PyObject *found = PyObject_GenericGetAttr((PyObject *)self, name);
    if (found != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError)) {
        return found;
    }
    PyErr_Clear();
    return PyObject_GetAttr(self->fn, name);
}

static PyObject *
frameless_doc(FramelessObject *self, void *Py_UNUSED(closure))
{
    return PyObject_GetAttrString(self->fn, "__doc__");
}

static PyGetSetDef frameless_getset[] = {
    {"__doc__", (getter)frameless_doc, NULL, "The function's docstring.", NULL},
    {NULL},
};

static PyMemberDef frameless_members[] = {
    {"__wrapped__", T_OBJECT, offsetof(FramelessObject, fn), READONLY, "The function called."},
    {NULL},
};

static PyTypeObject FramelessType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "desugar.runtime._speedups.Frameless",
    .tp_basicsize = sizeof(FramelessObject),
    .tp_dealloc = (destructor)frameless_dealloc,
    .tp_vectorcall_offset = offsetof(FramelessObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_repr = (reprfunc)frameless_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "A function called through C: what it raises shows no frame of the runtime.",
    .tp_traverse = (traverseproc)frameless_traverse,
    .tp_clear = (inquiry)frameless_clear,
    .tp_members = frameless_members,
    .tp_getset = frameless_getset,
    .tp_getattro = (getattrofunc)frameless_getattro,
};

static PyObject *
frameless(PyObject *Py_UNUSED(module), PyObject *fn)
{
    FramelessObject *self = PyObject_GC_New(FramelessObject, &FramelessType);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = (vectorcallfunc)frameless_call;
    self->fn = Py_NewRef(fn);
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

static PyObject *
reused(void)
{
    PyErr_SetString(PyExc_RuntimeError,
                    "cannot reuse already awaited awaitable (`async fn` resumed after "
                    "completion): await each coroutine once");
    return NULL;
}

/* An awaitee made by `into_future` is not tracked by the collector until it
 * waits: one that completes at once (most awaits) holds nothing but its
 * result between its first poll and its end, so it is never part of a cycle.
 * Once what it awaits waits, the awaitee is the edge from the awaiting frame
 * to it, and the collector must see it (a cycle through a suspended chain is
 * collected, as natively). */
static inline void
track_waiting(AwaiteeObject *self)
{
    if (!PyObject_GC_IsTracked((PyObject *)self)) {
        PyObject_GC_Track(self);
    }
}

/* Whether coroutine `obj` is suspended (3.11+: its frame state read as
 * `cr_suspended` reads it); -1 where that is not known here (3.10). */
static inline int
coro_suspended_state(PyObject *obj)
{
#if PY_VERSION_HEX >= 0x030B0000
#  ifdef FRAME_STATE_SUSPENDED
    return FRAME_STATE_SUSPENDED(((PyGenObject *)obj)->gi_frame_state);
#  else
    return ((PyGenObject *)obj)->gi_frame_state == FRAME_SUSPENDED;
#  endif
#else
    (void)obj;
    return -1;
#endif
}

/* What is awaited completed with `result` (a new reference): keep it. */
static void
complete(AwaiteeObject *self, PyObject *result)
{
    PyObject *it = self->it;
    Py_XSETREF(self->value, result);
    self->it = NULL;
    Py_XDECREF(it);
}

static void
fail(AwaiteeObject *self)
{
    Py_CLEAR(self->it);
}

/* ---- an async generator's step without StopIteration --------------------
 *
 * `async for` over an async generator awaits `agen.__anext__()`, an `asend`
 * object: each item it reaches ends that awaitable with StopIteration(item)
 * (CPython's `async_gen_unwrap_value`). The first send into a fresh `asend`
 * made by `__anext__` (state INIT, no value to send) is done here instead,
 * as `async_gen_asend_send` does it but with the item returned as the
 * completion: the generator's frame is resumed with PyGen_Type's am_send
 * (the frame is a generator frame), a wrapped value is an item, anything
 * else is what an await inside the generator waits on, and the flags
 * `ag_running_async` and `ag_closed` and the asend's own state are set as
 * CPython sets them, so everything after that (the rest of the step, throw,
 * close, `aclose()`, the "already running" check) is the `asend` object's
 * own. The asend's layout is private to CPython: `enable_agen_steps` checks
 * it on a probe generator and leaves this off if it does not match. */

typedef struct {  /* CPython's PyAsyncGenASend (Objects/genobject.c, 3.10-3.13) */
    PyObject_HEAD
    PyAsyncGenObject *ags_gen;
    PyObject *ags_sendval;
    int ags_state;  /* an enum: INIT 0, ITER 1, CLOSED 2 */
} ASendLayout;

typedef struct {  /* CPython's _PyAsyncGenWrappedValue: an item an async generator yields */
    PyObject_HEAD
    PyObject *agw_val;
} WrappedLayout;

enum { ASEND_INIT = 0, ASEND_ITER = 1, ASEND_CLOSED = 2 };

static PyTypeObject *asend_type = NULL;    /* set when the layout was checked */
static PyTypeObject *wrapped_type = NULL;
static sendfunc gen_am_send = NULL;        /* PyGen_Type's am_send: resumes the generator frame */

/* An item: the generator's frame yielded `wrapped`; the step completes with it. */
static PySendResult
item_of(PyAsyncGenObject *gen, PyObject *wrapped, PyObject **presult)
{
    *presult = Py_NewRef(((WrappedLayout *)wrapped)->agw_val);
    Py_DECREF(wrapped);
    gen->ag_running_async = 0;
    return PYGEN_RETURN;
}

/* The generator ended or raised: the error the step raises (async_gen_unwrap_value). */
static PySendResult
ended(PyAsyncGenObject *gen, PySendResult status, PyObject *result, PyObject **presult)
{
    if (status == PYGEN_RETURN) {
        Py_DECREF(result);
        PyErr_SetNone(PyExc_StopAsyncIteration);
    }
    else if (!PyErr_Occurred()) {
        PyErr_SetNone(PyExc_StopAsyncIteration);
    }
    if (PyErr_ExceptionMatches(PyExc_StopAsyncIteration)
        || PyErr_ExceptionMatches(PyExc_GeneratorExit)) {
        gen->ag_closed = 1;
    }
    gen->ag_running_async = 0;
    *presult = NULL;
    return PYGEN_ERROR;
}

/* An awaitee of `agen.__anext__()` holds the generator itself until its
 * first step, which resumes the generator's frame directly (as the asend's
 * first send does). If the frame waits in an await, the asend object is made
 * then, in the state it would be in, and it takes every later step. Anything
 * else that needs the awaitable before the first step (throw, close, the
 * `cr_*` introspection, `poll`) gets it made first, unstepped. */
static int
materialize(AwaiteeObject *self)
{
    PyObject *it = self->it;
    if (it == NULL || !Py_IS_TYPE(it, &PyAsyncGen_Type)) {
        return 0;
    }
    PyObject *asend = PyAsyncGen_Type.tp_as_async->am_anext(it);
    if (asend == NULL) {
        return -1;
    }
    Py_SETREF(self->it, asend);
    return 0;
}

/* The first step of `__anext__()`'s awaitable of async generator `it`
 * (hooks run), sent `arg`, with the generator's frame resumed here: its item
 * completes (PYGEN_RETURN); its end or error is the step's (PYGEN_ERROR); if
 * an await in it waits (PYGEN_NEXT, the wait in *presult), *pasend is the
 * asend object, made then in the state it would be in mid-step, which takes
 * every later step. */
static PySendResult
agen_step(PyObject *it, PyObject *arg, PyObject **presult, PyObject **pasend)
{
    PyAsyncGenObject *gen = (PyAsyncGenObject *)it;
    PyObject *result;
    *pasend = NULL;
    if (gen->ag_running_async) {
        PyErr_SetString(PyExc_RuntimeError, "anext(): asynchronous generator is already running");
        *presult = NULL;
        return PYGEN_ERROR;
    }
    gen->ag_running_async = 1;
    PySendResult status = gen_am_send(it, arg, &result);
    if (status != PYGEN_NEXT) {
        return ended(gen, status, result, presult);
    }
    if (Py_TYPE(result) == wrapped_type) {
        return item_of(gen, result, presult);
    }
    PyObject *asend = PyAsyncGen_Type.tp_as_async->am_anext(it);
    if (asend == NULL) {
        Py_DECREF(result);
        *presult = NULL;
        return PYGEN_ERROR;
    }
    ((ASendLayout *)asend)->ags_state = ASEND_ITER;
    *pasend = asend;
    *presult = result;
    return PYGEN_NEXT;
}

/* What is awaited, sent `arg`, as PyIter_Send; an async generator's item completes. */
static PySendResult
send_to(AwaiteeObject *self, PyObject *arg, PyObject **presult)
{
    PyObject *it = self->it, *result;
    PySendResult status;
    if (Py_IS_TYPE(it, &PyCoro_Type)) {  /* (PyIter_Send's own path, without its checks) */
        return PyCoro_Type.tp_as_async->am_send(it, arg, presult);
    }
    if (Py_IS_TYPE(it, &PyAsyncGen_Type)) {  /* the first step of `__anext__()`'s awaitable */
        PyObject *asend;
        status = agen_step(it, arg, presult, &asend);
        if (asend != NULL) {  /* an await in the generator waits: the asend takes over */
            Py_SETREF(self->it, asend);
        }
        return status;
    }
    ASendLayout *asend = (ASendLayout *)it;
    if (Py_TYPE(it) != asend_type || asend->ags_state != ASEND_INIT
        || asend->ags_sendval != NULL) {
        return PyIter_Send(it, arg, presult);
    }
    /* a fresh `__anext__()` awaitable (the generator's first one, or one made
     * elsewhere): its first send, as async_gen_asend_send does it */
    PyAsyncGenObject *gen = asend->ags_gen;
    if (gen->ag_running_async) {  /* the asend raises "anext(): ... already running" itself */
        return PyIter_Send(it, arg, presult);
    }
    asend->ags_state = ASEND_ITER;
    gen->ag_running_async = 1;
    status = gen_am_send((PyObject *)gen, arg, &result);
    if (status == PYGEN_NEXT) {
        if (Py_TYPE(result) != wrapped_type) {  /* an await in the generator waits */
            *presult = result;
            return PYGEN_NEXT;
        }
        asend->ags_state = ASEND_CLOSED;
        return item_of(gen, result, presult);
    }
    asend->ags_state = ASEND_CLOSED;
    return ended(gen, status, result, presult);
}

/* enable_agen_steps(probe1, probe2): two fresh async generators of
 * `async def probe(): yield None`, used up. True if the fast step is on. */
static PyObject *
enable_agen_steps(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *probe1, *probe2, *result = NULL, *asend = NULL;
    if (!PyArg_ParseTuple(args, "OO:enable_agen_steps", &probe1, &probe2)) {
        return NULL;
    }
    if (!Py_IS_TYPE(probe1, &PyAsyncGen_Type) || !Py_IS_TYPE(probe2, &PyAsyncGen_Type)) {
        PyErr_SetString(PyExc_TypeError, "enable_agen_steps() takes two async generators");
        return NULL;
    }
    sendfunc send = PyGen_Type.tp_as_async != NULL ? PyGen_Type.tp_as_async->am_send : NULL;
    if (send == NULL) {
        Py_RETURN_FALSE;
    }
    /* what a generator frame yields at `yield None` in an async generator */
    if (send(probe1, Py_None, &result) != PYGEN_NEXT) {
        Py_XDECREF(result);
        PyErr_Clear();
        Py_RETURN_FALSE;
    }
    PyTypeObject *wrapped = Py_TYPE(result);
    int ok = (wrapped != &PyAsyncGen_Type && wrapped->tp_basicsize == sizeof(WrappedLayout)
              && ((WrappedLayout *)result)->agw_val == Py_None);
    Py_DECREF(result);
    /* an asend made by __anext__: INIT, no value, its generator; CLOSED after an item */
    if (ok) {
        asend = Py_TYPE(probe2)->tp_as_async->am_anext(probe2);
        if (asend == NULL) {
            return NULL;
        }
        ASendLayout *layout = (ASendLayout *)asend;
        ok = (Py_TYPE(asend)->tp_basicsize == sizeof(ASendLayout)
              && layout->ags_gen == (PyAsyncGenObject *)probe2 && layout->ags_sendval == NULL
              && layout->ags_state == ASEND_INIT);
        if (ok) {
            PySendResult status = PyIter_Send(asend, Py_None, &result);
            ok = (status == PYGEN_RETURN && result == Py_None && layout->ags_state == ASEND_CLOSED
                  && !layout->ags_gen->ag_running_async);
            if (status == PYGEN_ERROR) {
                PyErr_Clear();
            }
            else {
                Py_XDECREF(result);
            }
        }
    }
    if (ok) {
        wrapped_type = wrapped;
        asend_type = Py_TYPE(asend);
        gen_am_send = send;
    }
    Py_XDECREF(asend);
    return PyBool_FromLong(ok);
}

/* ---- the first poll --------------------------------------------------- */

static PyObject *
awaitee_poll_with_tls_context(AwaiteeObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *it = self->it, *result;
    if (it == NULL) {
        return reused();
    }
    Py_INCREF(it);
    PySendResult status = send_to(self, Py_None, &result);
    Py_DECREF(it);
    if (status == PYGEN_RETURN) {
        complete(self, result);
        self->state = DONE;
        Py_INCREF(Ready);
        return Ready;
    }
    if (status == PYGEN_ERROR) {
        fail(self);
        self->state = DONE;
        return NULL;
    }
    track_waiting(self);
    Py_INCREF(result);
    Py_XSETREF(self->handover, result);
    self->state = RUNNING;
    return result;
}

/* ---- the awaiting frame ------------------------------------------------- */

/* When a driver throws into a suspended coroutine, CPython runs the throw
 * into what its `yield from` delegates to with the coroutine's frame on the
 * stack if that is a generator or a coroutine, and without it otherwise. The
 * awaitee is neither, so it puts the frame there itself: `inspect.stack()`
 * and `sys._getframe()` in the innermost awaited code see the awaiting
 * frames on the throw() path as on the send() path, as natively. The awaitee
 * learns which coroutine waits in it when it hands its wait over (that
 * coroutine's frame is running then) and keeps a weak reference to it. */
#if PY_VERSION_HEX >= 0x030B0000
#  define GEN_FRAME(gen) ((_PyInterpreterFrame *)((char *)(gen) + offsetof(PyGenObject, gi_iframe)))
#endif

static void
note_owner(AwaiteeObject *self)
{
    if (self->owner != NULL) {
        return;
    }
    PyThreadState *tstate = PyThreadState_Get();
#if PY_VERSION_HEX >= 0x030D0000
    _PyInterpreterFrame *frame = tstate->current_frame;
#elif PY_VERSION_HEX >= 0x030B0000
    _PyInterpreterFrame *frame = tstate->cframe->current_frame;
#endif
#if PY_VERSION_HEX >= 0x030B0000
    if (frame == NULL || frame->owner != FRAME_OWNED_BY_GENERATOR) {
        return;
    }
    PyObject *gen = (PyObject *)_PyFrame_GetGenerator(frame);
#else
    PyFrameObject *frame = tstate->frame;
    PyObject *gen = frame != NULL ? frame->f_gen : NULL;
#endif
    if (gen != NULL && (PyCoro_CheckExact(gen) || PyGen_CheckExact(gen))) {
        self->owner = PyWeakref_NewRef(gen, NULL);
        if (self->owner == NULL) {
            PyErr_Clear();
        }
        else if (PyObject_GC_IsTracked(self->owner)) {
            /* A weak reference without a callback refers to nothing strongly:
               the collector has nothing to traverse in it (one object fewer
               per suspended level for each collection to walk). */
            PyObject_GC_UnTrack(self->owner);
        }
    }
}

/* The coroutine whose throw() runs with its `yield from` delegating to
 * `self` (a new reference); NULL if none (a throw() made by hand). */
static PyObject *
throwing_owner(AwaiteeObject *self)
{
    if (self->owner == NULL) {
        return NULL;
    }
#if PY_VERSION_HEX >= 0x030D0000
    PyObject *gen;
    if (PyWeakref_GetRef(self->owner, &gen) <= 0) {
        PyErr_Clear();
        return NULL;
    }
#else
    PyObject *gen = PyWeakref_GetObject(self->owner);  /* (borrowed; None once dead) */
    if (gen == NULL) {
        PyErr_Clear();
        return NULL;
    }
    Py_INCREF(gen);
#endif
    int waits_here = 0;
    if (PyCoro_CheckExact(gen) || PyGen_CheckExact(gen)) {
        /* running (its throw() is) and delegating to `self`: the top of its value stack */
#if PY_VERSION_HEX >= 0x030B0000
        _PyInterpreterFrame *f = GEN_FRAME(gen);
        waits_here = ((PyGenObject *)gen)->gi_frame_state == FRAME_EXECUTING
            && f->stacktop > 0 && f->localsplus[f->stacktop - 1] == (PyObject *)self;
#else
        PyFrameObject *f = ((PyGenObject *)gen)->gi_frame;
        waits_here = f != NULL && f->f_state == FRAME_EXECUTING
            && f->f_stackdepth > 0 && f->f_valuestack[f->f_stackdepth - 1] == (PyObject *)self;
#endif
    }
    if (!waits_here) {
        Py_DECREF(gen);
        return NULL;
    }
    return gen;
}

typedef struct {
#if PY_VERSION_HEX >= 0x030B0000
    _PyInterpreterFrame *frame;
    _PyInterpreterFrame *previous;
#else
    PyFrameObject *frame;
    PyFrameObject *previous;
    PyFrameObject *back;
#endif
} Linked;

/* Put the frame of `gen` on the thread's stack, as CPython's gen_throw does
 * for a delegated generator; unlink_frame() takes it off. */
static void
link_frame(PyObject *gen, Linked *linked)
{
    PyThreadState *tstate = PyThreadState_Get();
#if PY_VERSION_HEX >= 0x030D0000
    _PyInterpreterFrame *f = GEN_FRAME(gen);
    linked->frame = f;
    linked->previous = tstate->current_frame;
    f->previous = linked->previous;
    tstate->current_frame = f;
#elif PY_VERSION_HEX >= 0x030B0000
    _PyInterpreterFrame *f = GEN_FRAME(gen);
    linked->frame = f;
    linked->previous = tstate->cframe->current_frame;
    f->previous = linked->previous;
    tstate->cframe->current_frame = f;
#else
    PyFrameObject *f = ((PyGenObject *)gen)->gi_frame;
    linked->frame = f;
    linked->previous = tstate->frame;
    linked->back = f->f_back;  /* (NULL: a suspended frame has no caller) */
    f->f_back = (PyFrameObject *)Py_XNewRef(tstate->frame);
    tstate->frame = f;
#endif
}

static void
unlink_frame(Linked *linked)
{
    PyThreadState *tstate = PyThreadState_Get();
#if PY_VERSION_HEX >= 0x030D0000
    tstate->current_frame = linked->previous;
    linked->frame->previous = NULL;
#elif PY_VERSION_HEX >= 0x030B0000
    tstate->cframe->current_frame = linked->previous;
    linked->frame->previous = NULL;
#else
    tstate->frame = linked->previous;
    PyFrameObject *back = linked->frame->f_back;
    linked->frame->f_back = linked->back;
    Py_XDECREF(back);
#endif
}

/* ---- resumption: what `yield from` calls -------------------------------- */

/* One step with `arg` sent in: the kept wait, or a resumption of what is
 * awaited. PYGEN_RETURN with *presult NULL: the step that ends a `for`. */
static PySendResult
step(AwaiteeObject *self, PyObject *arg, PyObject **presult)
{
    int state = self->state;
    if (state == OFFERED) {  /* the driver has the wait already (a native `await` stepped us) */
        Py_CLEAR(self->handover);
        self->state = state = RUNNING;
    }
    PyObject *pending = self->handover;
    if (pending != NULL) {  /* the `yield from`'s first step: the first poll's wait */
        note_owner(self);
        self->handover = NULL;
        self->state = RUNNING;
        *presult = pending;
        return PYGEN_NEXT;
    }
    PyObject *it = self->it, *result;
    if (it == NULL) {
        if (state == FINISHED) {  /* the `for` shape's last step */
            self->state = DONE;
            *presult = NULL;
            return PYGEN_RETURN;
        }
        reused();
        *presult = NULL;
        return PYGEN_ERROR;
    }
    Py_INCREF(it);
    PySendResult status = send_to(self, arg, &result);
    Py_DECREF(it);
    if (status == PYGEN_NEXT) {
        track_waiting(self);
        if (state == ITERATING) {  /* the first poll: keep the wait until it is handed over */
            self->handover = result;  /* (the loop's item is Pending: the frame holds no wait) */
            self->state = OFFERED;
            result = Py_NewRef(PendingMarker);
        }
        else {
            self->state = RUNNING;
        }
    }
    else if (status == PYGEN_RETURN) {
        Py_INCREF(result);
        complete(self, result);
        if (state == ITERATING) {  /* completed at once: the `for` ends with this step */
            self->state = DONE;
            Py_DECREF(result);
            *presult = NULL;
            return PYGEN_RETURN;
        }
        self->state = FINISHED;
    }
    else {
        fail(self);
        self->state = DONE;
    }
    *presult = result;
    return status;
}

static PySendResult
awaitee_am_send(AwaiteeObject *self, PyObject *arg, PyObject **presult)
{
    PySendResult status = step(self, arg, presult);
    if (status == PYGEN_RETURN && *presult == NULL) {
        *presult = Py_NewRef(Py_None);
    }
    return status;
}

/* Completion with `value` (a reference, consumed) as StopIteration(value):
 * a method must raise it; `tp_iternext` may return NULL with no error set
 * when the value is None (nothing reads it: the generated code reads `value`). */
static PyObject *
stop_with(PyObject *value, int must_raise)
{
    if (value == Py_None && !must_raise) {
        Py_DECREF(value);
        return NULL;
    }
    PyObject *stop = PyObject_CallOneArg(PyExc_StopIteration, value);
    Py_DECREF(value);
    if (stop != NULL) {
        PyErr_SetObject(PyExc_StopIteration, stop);
        Py_DECREF(stop);
    }
    return NULL;
}

static PyObject *
awaitee_iternext(AwaiteeObject *self)
{
    PyObject *result;
    PySendResult status = step(self, Py_None, &result);
    if (status == PYGEN_RETURN) {
        return result == NULL ? NULL : stop_with(result, 0);
    }
    return result;  /* the wait (PYGEN_NEXT), or NULL with the error set */
}

static PyObject *
awaitee_send(AwaiteeObject *self, PyObject *arg)
{
    PyObject *result;
    PySendResult status = step(self, arg, &result);
    if (status == PYGEN_RETURN) {
        return stop_with(result == NULL ? Py_NewRef(Py_None) : result, 1);
    }
    return result;
}

static PyObject *
awaitee_throw(AwaiteeObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *error;
    if (nargs < 1 || nargs > 3) {
        PyErr_Format(PyExc_TypeError, "throw expected 1 to 3 arguments, got %zd", nargs);
        return NULL;
    }
    if (nargs == 1 && PyExceptionInstance_Check(args[0])) {
        error = Py_NewRef(args[0]);
    }
    else {
        error = PyObject_Vectorcall(py_exception, args, nargs, NULL);
        if (error == NULL) {
            return NULL;
        }
    }
    if (materialize(self) < 0) {
        Py_DECREF(error);
        return NULL;
    }
    PyObject *it = self->it;
    if (it == NULL) {  /* as a finished `yield from`: raised at the await */
        PyErr_SetObject((PyObject *)Py_TYPE(error), error);
        Py_DECREF(error);
        return NULL;
    }
    Py_INCREF(it);
    PyObject *throw_ = PyObject_GetAttr(it, str_throw);
    if (throw_ == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
            Py_DECREF(it);
            Py_DECREF(error);
            fail(self);
            return NULL;
        }
        PyErr_Clear();
        Py_DECREF(it);
        fail(self);
        PyErr_SetObject((PyObject *)Py_TYPE(error), error);
        Py_DECREF(error);
        return NULL;
    }
    PyObject *owner = throwing_owner(self);
    Linked linked;
    if (owner != NULL) {
        link_frame(owner, &linked);
    }
    PyObject *result = PyObject_CallOneArg(throw_, error);
    if (owner != NULL) {
        unlink_frame(&linked);
        Py_DECREF(owner);
    }
    Py_DECREF(throw_);
    Py_DECREF(it);
    Py_DECREF(error);
    if (result != NULL) {
        track_waiting(self);
        return result;
    }
    if (PyErr_ExceptionMatches(PyExc_StopIteration)) {  /* it handled the exception and completed */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        PyObject *returned = value != NULL ? PyObject_GetAttrString(value, "value") : Py_NewRef(Py_None);
        if (returned != NULL) {
            Py_INCREF(returned);
            complete(self, returned);
            self->state = FINISHED;
        }
        else {
            fail(self);
            self->state = DONE;
        }
        /* re-raise as `StopIteration(value)`, with no context of ours */
        Py_XDECREF(type);
        Py_XDECREF(tb);
        Py_XDECREF(value);
        if (returned == NULL) {
            return NULL;
        }
        return stop_with(returned, 1);
    }
    fail(self);
    self->state = DONE;
    return NULL;
}

static PyObject *
awaitee_close(AwaiteeObject *self, PyObject *Py_UNUSED(ignored))
{
    if (materialize(self) < 0) {
        return NULL;
    }
    PyObject *it = self->it;
    self->it = NULL;
    self->state = DONE;
    Py_CLEAR(self->handover);
    if (it == NULL) {
        Py_RETURN_NONE;
    }
    PyObject *close = PyObject_GetAttr(it, str_close);
    Py_DECREF(it);
    if (close == NULL) {
        if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
            PyErr_Clear();
            Py_RETURN_NONE;
        }
        return NULL;
    }
    PyObject *result = PyObject_CallNoArgs(close);
    Py_DECREF(close);
    return result;
}

static PyObject *
awaitee_iter(AwaiteeObject *self)
{
    switch (self->state) {
    case FRESH: self->state = ITERATING; break;   /* a `for`, or a `yield from` of a fresh awaitee */
    case OFFERED: self->state = RUNNING; break;   /* the `for` body's `yield from`: hand the wait over */
    case FINISHED: self->state = DONE; break;     /* iterated anew: no quiet end for it */
    }
    return Py_NewRef(self);
}

static PyObject *
awaitee_await(AwaiteeObject *self)
{
    switch (self->state) {
    case FRESH: self->state = RUNNING; break;     /* a native `await`: the first step polls */
    case OFFERED: self->state = RUNNING; break;   /* an async generator's `for` body: hand the wait over */
    case FINISHED: self->state = DONE; break;
    }
    return Py_NewRef(self);
}

/* ---- attributes --------------------------------------------------------- */

static PyObject *
awaitee_get_value(AwaiteeObject *self, void *Py_UNUSED(closure))
{
    PyObject *value = self->value;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_value");
        return NULL;
    }
    self->value = NULL;  /* read once: the awaitee forgets it (see `_awaitee.Awaitee.value`) */
    return value;
}

/* Attribute lookup: `value` first. The generated code reads it once per await,
 * with the name the compiler interned; a getset is not specialized by the
 * interpreter, so this saves the generic lookup (type MRO, descriptor call). */
static PyObject *
awaitee_getattro(AwaiteeObject *self, PyObject *name)
{
    if (name == str_value && Py_IS_TYPE(self, &AwaiteeType)) {
        return awaitee_get_value(self, NULL);
    }
    PyObject *found = PyObject_GenericGetAttr((PyObject *)self, name);
    if (found != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError)) {
        return found;
    }
    /* A name the awaitee lacks: what it awaits answers (`_awaitee._inspect`). */
    PyErr_Clear();
    if (materialize(self) < 0) {
        return NULL;
    }
    return PyObject_CallFunctionObjArgs(py_inspect, (PyObject *)self, name, NULL);
}

static PyObject *
awaitee_get__value(AwaiteeObject *self, void *Py_UNUSED(closure))
{
    if (self->value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_value");
        return NULL;
    }
    return Py_NewRef(self->value);
}

static int
awaitee_set__value(AwaiteeObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL && self->value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_value");
        return -1;
    }
    Py_XINCREF(value);
    Py_XSETREF(self->value, value);
    return 0;
}

static PyObject *
awaitee_get__state(AwaiteeObject *self, void *Py_UNUSED(closure))
{
    return PyLong_FromLong(self->state);
}

static int
awaitee_set__state(AwaiteeObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    long state = value != NULL ? PyLong_AsLong(value) : -1;
    if (state == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (state < FRESH || state > DONE) {
        PyErr_SetString(PyExc_ValueError, "an awaitee's _state is one of FRESH ... DONE (0 to 5)");
        return -1;
    }
    self->state = (int)state;
    return 0;
}

static PyObject *
awaitee_get__it(AwaiteeObject *self, void *Py_UNUSED(closure))
{
    if (materialize(self) < 0) {
        return NULL;
    }
    return Py_NewRef(self->it != NULL ? self->it : Py_None);
}

static int
awaitee_set__it(AwaiteeObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == Py_None) {
        value = NULL;
    }
    Py_XINCREF(value);
    Py_XSETREF(self->it, value);
    return 0;
}

static PyObject *
awaitee_get__handover(AwaiteeObject *self, void *Py_UNUSED(closure))
{
    return Py_NewRef(self->handover != NULL ? self->handover : Empty);
}

static int
awaitee_set__handover(AwaiteeObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == Empty) {
        value = NULL;
    }
    Py_XINCREF(value);
    Py_XSETREF(self->handover, value);
    return 0;
}

/* __class__: the class of what is awaited (`_awaitee._inspect`), as isinstance reads it */
static PyObject *
awaitee_get_class(AwaiteeObject *self, void *Py_UNUSED(closure))
{
    if (materialize(self) < 0) {
        return NULL;
    }
    return PyObject_CallFunction(py_inspect, "Os", (PyObject *)self, "__class__");
}

static PyObject *
awaitee_poll(AwaiteeObject *self, PyObject *cx)
{
    if (materialize(self) < 0) {
        return NULL;
    }
    return PyObject_CallFunctionObjArgs(py_poll, (PyObject *)self, cx, NULL);
}

static PyObject *
awaitee_repr(AwaiteeObject *self)
{
    if (materialize(self) < 0) {
        return NULL;
    }
    return PyObject_CallOneArg(py_repr, (PyObject *)self);
}

static PyGetSetDef awaitee_getset[] = {
    {"__class__", (getter)awaitee_get_class, NULL,
     "The class of what is awaited, as isinstance and inspect read it.", NULL},
    {"value", (getter)awaitee_get_value, NULL,
     "The result, once: reading it lets the awaitee forget it.", NULL},
    {"_value", (getter)awaitee_get__value, (setter)awaitee_set__value, NULL, NULL},
    {"_it", (getter)awaitee_get__it, (setter)awaitee_set__it,
     "What is awaited (None once done).", NULL},
    {"_handover", (getter)awaitee_get__handover, (setter)awaitee_set__handover,
     "The first poll's wait, not handed over yet.", NULL},
    {"_state", (getter)awaitee_get__state, (setter)awaitee_set__state,
     "Where it is in its polls: FRESH, ITERATING, OFFERED, RUNNING, FINISHED or DONE (as in _awaitee.py).", NULL},
    {NULL}
};

static PyObject *
awaitee_awaited(AwaiteeObject *self, PyObject *Py_UNUSED(ignored))
{
    return awaitee_get__it(self, NULL);
}

static PyMethodDef awaitee_methods[] = {
    {"awaited", (PyCFunction)awaitee_awaited, METH_NOARGS,
     "What it awaits: the coroutine or iterator it drives (None once done)."},
    {"poll", (PyCFunction)awaitee_poll, METH_O,
     "Resume once with `cx` as the task's Context: Ready(value) or Pending."},
    {"poll_with_tls_context", (PyCFunction)awaitee_poll_with_tls_context, METH_NOARGS,
     "The first poll: Ready if what is awaited completed at once, else what it yielded."},
    {"send", (PyCFunction)awaitee_send, METH_O, "Poll again, passing on what the driver sent."},
    {"throw", (PyCFunction)(void (*)(void))awaitee_throw, METH_FASTCALL,
     "Poll again, throwing in what the driver threw (a cancellation), as `yield from` does."},
    {"close", (PyCFunction)awaitee_close, METH_NOARGS,
     "Drop the awaitee: close what it awaits (`yield from` does so on close)."},
    {NULL}
};

static int
awaitee_traverse(AwaiteeObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->it);
    Py_VISIT(self->handover);
    Py_VISIT(self->value);
    Py_VISIT(self->owner);
    return 0;  /* (a heap subclass's own traverse visits its type) */
}

static int
awaitee_clear(AwaiteeObject *self)
{
    Py_CLEAR(self->it);
    Py_CLEAR(self->handover);
    Py_CLEAR(self->value);
    Py_CLEAR(self->owner);
    return 0;
}

static void
awaitee_dealloc(AwaiteeObject *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    awaitee_clear(self);
    if (Py_IS_TYPE(self, &AwaiteeType) && free_count < FREE_MAX) {
        free_list[free_count++] = (PyObject *)self;
        return;
    }
    Py_TYPE(self)->tp_free((PyObject *)self);  /* (a heap subclass's dealloc drops its type) */
}

/* A new awaitee of `it`; tracked by the collector unless `lazy` (see track_waiting). */
static PyObject *
awaitee_make(PyTypeObject *type, PyObject *it, int lazy)
{
    AwaiteeObject *self;
    if (type == &AwaiteeType && free_count > 0) {
        self = (AwaiteeObject *)free_list[--free_count];
        PyObject_Init((PyObject *)self, type);
        if (!lazy) {
            PyObject_GC_Track(self);
        }
    }
    else {
        self = (AwaiteeObject *)type->tp_alloc(type, 0);
        if (self == NULL) {
            return NULL;
        }
        if (lazy) {
            PyObject_GC_UnTrack(self);
        }
    }
    self->it = Py_XNewRef(it);
    self->state = FRESH;
    return (PyObject *)self;
}

static PyObject *
awaitee_new_of(PyTypeObject *type, PyObject *it)
{
    return awaitee_make(type, it, 0);
}

static PyObject *
awaitee_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *it = NULL;
    static char *kwlist[] = {"it", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Awaitee", kwlist, &it)) {
        return NULL;
    }
    return awaitee_new_of(type, it == Py_None ? NULL : it);
}

static PyAsyncMethods awaitee_as_async = {
    .am_await = (unaryfunc)awaitee_await,  /* an async generator suspends with `await` */
    .am_send = (sendfunc)awaitee_am_send,
};

static PyTypeObject AwaiteeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "desugar.runtime.Awaitee",
    .tp_basicsize = sizeof(AwaiteeObject),
    .tp_dealloc = (destructor)awaitee_dealloc,
    .tp_repr = (reprfunc)awaitee_repr,
    .tp_getattro = (getattrofunc)awaitee_getattro,
    .tp_as_async = &awaitee_as_async,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The future an `await` polls (rustc's `__awaitee`); see desugar.runtime._awaitee.",
    .tp_traverse = (traverseproc)awaitee_traverse,
    .tp_clear = (inquiry)awaitee_clear,
    .tp_weaklistoffset = offsetof(AwaiteeObject, weakreflist),
    .tp_iter = (getiterfunc)awaitee_iter,
    .tp_iternext = (iternextfunc)awaitee_iternext,
    .tp_methods = awaitee_methods,
    .tp_getset = awaitee_getset,
    .tp_new = awaitee_tp_new,
};

/* ---- into_future -------------------------------------------------------- */

static PyObject *
into_future(PyObject *Py_UNUSED(module), PyObject *obj)
{
    if (Py_IS_TYPE(obj, &PyCoro_Type)) {
        int suspended = coro_suspended_state(obj);
        if (suspended < 0) {
            PyObject *flag = cr_suspended != NULL ? cr_suspended(obj, NULL)
                                                  : PyObject_CallOneArg(py_suspended, obj);
            if (flag == NULL) {
                return NULL;
            }
            suspended = PyObject_IsTrue(flag);
            Py_DECREF(flag);
            if (suspended < 0) {
                return NULL;
            }
        }
        if (suspended) {
            PyErr_SetString(PyExc_RuntimeError, "coroutine is being awaited already");
            return NULL;
        }
        return awaitee_make(&AwaiteeType, obj, 1);
    }
    if (Py_IS_TYPE(obj, &AwaiteeType)) {  /* (`async with` and `async for` make theirs first) */
        return Py_NewRef(obj);
    }
    PyObject *awaitee = PyObject_CallOneArg(py_into_future, obj);
    STRIP_RUNTIME_ENTRIES(awaitee);
    return awaitee;
}

/* `awaitable(obj)`: what the `yield-from` style's `yield from` steps (see
 * `_awaitee.awaitable`): a coroutine as it is, so the interpreter resumes it
 * as a native `await` does (SEND_GEN on 3.12+, no C frame in between);
 * anything else as its awaitee, whose first step is its first poll. */
static PyObject *
awaitable(PyObject *module, PyObject *obj)
{
    if (Py_IS_TYPE(obj, &PyCoro_Type)) {
        PyObject *flag = cr_suspended != NULL ? cr_suspended(obj, NULL)
                                              : PyObject_CallOneArg(py_suspended, obj);
        if (flag == NULL) {
            return NULL;
        }
        int suspended = PyObject_IsTrue(flag);
        Py_DECREF(flag);
        if (suspended < 0) {
            return NULL;
        }
        if (suspended) {
            PyErr_SetString(PyExc_RuntimeError, "coroutine is being awaited already");
            return NULL;
        }
        return Py_NewRef(obj);
    }
    PyObject *aw = into_future(module, obj);
    if (aw == NULL || !Py_IS_TYPE(aw, &AwaiteeType)) {
        return aw;  /* (py_into_future makes the running runtime's awaitees: this is rare) */
    }
    PyObject *stepped = awaitee_await((AwaiteeObject *)aw);
    Py_DECREF(aw);
    return stepped;
}

/* The reference `anext` and `aiter` (`_stream.py_anext`, `_stream.py_aiter`),
 * for what is not an async generator. `_stream` imports `_awaitee`, whose end
 * imports this module: they are read from it at their first use, when it is
 * whole (imported by `import_helpers`, `_stream` would run with `_awaitee`
 * half imported, and bind its names before the C ones are swapped in). */
static PyObject *py_anext = NULL;
static PyObject *py_aiter = NULL;

static PyObject *
stream_helper(PyObject **slot, const char *name)
{
    if (*slot == NULL) {
        PyObject *stream = PyImport_ImportModule("desugar.runtime._stream");
        if (stream == NULL) {
            return NULL;
        }
        *slot = PyObject_GetAttrString(stream, name);
        Py_DECREF(stream);
    }
    return *slot;
}

/* `async for`'s step: the awaitee of `type(it).__anext__(it)`. */
static PyObject *
anext_(PyObject *Py_UNUSED(module), PyObject *it)
{
    if (Py_IS_TYPE(it, &PyAsyncGen_Type)) {
        if (wrapped_type != NULL && ((PyAsyncGenObject *)it)->ag_hooks_inited) {
            /* the generator itself: its asend object is made only if a step waits */
            return awaitee_new_of(&AwaiteeType, it);
        }
        PyObject *step = Py_TYPE(it)->tp_as_async->am_anext(it);
        if (step == NULL) {
            return NULL;
        }
        PyObject *awaitee = awaitee_new_of(&AwaiteeType, step);
        Py_DECREF(step);
        return awaitee;
    }
    PyObject *reference = stream_helper(&py_anext, "py_anext");
    PyObject *awaitee = reference == NULL ? NULL : PyObject_CallOneArg(reference, it);
    STRIP_RUNTIME_ENTRIES(awaitee);
    return awaitee;
}

/* ---- async for: a stream of items ----------------------------------------
 *
 * `async for x in obj:` iterates `async_for(obj)` with a `for`:
 *
 *     for _ds_item in _ds_stream:       # one step: `type(it).__anext__(it)` polled
 *         if _ds_item is _ds_stream:    # Pending: the step waits
 *             yield from _ds_stream     # hand the wait over, until the step ends
 *             continue                  # (its item is the loop's next)
 *         x = _ds_item
 *
 * A step that reaches its item at once returns it (an async generator's with
 * no StopIteration, see `send_to`); one that waits returns the stream itself
 * (an object no iterator yields as its item), and the `yield from` that
 * follows resumes the step's awaitee until it ends: with an item, which the
 * next step returns; with StopAsyncIteration, which ends the loop there
 * (its `else` runs); or with an error, raised at the `async for`. */

enum { AF_IDLE = 0, AF_OFFERED, AF_WAITING, AF_ITEM, AF_ENDED, AF_DONE, AF_RAISING };

typedef struct {
    PyObject_HEAD
    PyObject *it;     /* the async iterator */
    PyObject *step;   /* the awaitee of the step that waits; NULL if none */
    PyObject *item;   /* the item a wait ended with, for the next step (AF_RAISING: the
                       * StopIteration `__anext__()` raised, for the `yield from` to raise) */
    int state;
} AsyncForObject;

static PyTypeObject AsyncForType;

static PyObject *anext_(PyObject *module, PyObject *it);

/* The end of the loop: StopAsyncIteration is not an error here. */
static int
is_end(void)
{
    if (PyErr_ExceptionMatches(PyExc_StopAsyncIteration)) {
        PyErr_Clear();
        return 1;
    }
    return 0;
}

static PyObject *
async_for_iternext(AsyncForObject *self)
{
    switch (self->state) {
    case AF_ITEM: {
        PyObject *item = self->item;
        self->item = NULL;
        self->state = AF_IDLE;
        return item;
    }
    case AF_IDLE:
        break;
    case AF_ENDED:
        self->state = AF_DONE;
        return NULL;
    default:
        PyErr_SetString(PyExc_RuntimeError, "async for: stepped while a step waits");
        return NULL;
    }
    PyObject *it = self->it, *result;
    if (Py_IS_TYPE(it, &PyAsyncGen_Type) && wrapped_type != NULL
        && ((PyAsyncGenObject *)it)->ag_hooks_inited) {
        /* an async generator's step: its frame resumed here, with no awaitee */
        PyObject *asend;
        PySendResult status = agen_step(it, Py_None, &result, &asend);
        if (status == PYGEN_RETURN) {
            return result;  /* the item */
        }
        if (status == PYGEN_ERROR) {
            if (is_end()) {
                self->state = AF_DONE;
            }
            return NULL;
        }
        /* an await in the generator waits: its asend takes over, in an awaitee
         * that keeps the wait for the hand-over */
        AwaiteeObject *aw = (AwaiteeObject *)awaitee_new_of(&AwaiteeType, asend);
        Py_DECREF(asend);
        if (aw == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        aw->handover = result;
        aw->state = OFFERED;
        self->step = (PyObject *)aw;
        self->state = AF_OFFERED;
        return Py_NewRef(self);
    }
    AwaiteeObject *aw = (AwaiteeObject *)anext_(NULL, it);
    if (aw == NULL) {  /* `__anext__()` itself may end the loop, too */
        if (is_end()) {
            self->state = AF_DONE;
        }
        else if (PyErr_ExceptionMatches(PyExc_StopIteration)) {
            /* not the end of the `for` over us: an error, which the `yield from`
             * that follows raises at the `async for` */
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_NormalizeException(&type, &value, &tb);
            if (tb != NULL) {
                PyException_SetTraceback(value, tb);
            }
            Py_XDECREF(type);
            Py_XDECREF(tb);
            Py_XSETREF(self->item, value);
            self->state = AF_RAISING;
            return Py_NewRef(self);
        }
        return NULL;
    }
    if (!PyObject_TypeCheck(aw, &AwaiteeType) || aw->state != FRESH) {
        Py_DECREF(aw);  /* (the reference `anext` makes a fresh awaitee) */
        PyErr_SetString(PyExc_SystemError, "async for: anext() did not return a fresh awaitee");
        return NULL;
    }
    aw->state = ITERATING;  /* (as a `for` over it: the first step is the first poll) */
    PySendResult status = step(aw, Py_None, &result);
    if (status == PYGEN_RETURN) {  /* the item, at once */
        PyObject *item = aw->value;
        aw->value = NULL;
        Py_DECREF(aw);
        return item;
    }
    if (status == PYGEN_ERROR) {
        Py_DECREF(aw);
        if (is_end()) {
            self->state = AF_DONE;
        }
        return NULL;
    }
    Py_DECREF(result);  /* (Pending: the awaitee keeps the wait for the hand-over) */
    self->step = (PyObject *)aw;
    self->state = AF_OFFERED;
    return Py_NewRef(self);
}

/* The step that waited has ended (status of its last resumption). */
static PySendResult
step_ended(AsyncForObject *self, PySendResult status, PyObject *result, PyObject **presult)
{
    AwaiteeObject *aw = (AwaiteeObject *)self->step;
    self->step = NULL;
    if (status == PYGEN_RETURN) {
        Py_XDECREF(result);
        Py_XSETREF(self->item, aw->value);  /* (steals the awaitee's reference) */
        aw->value = NULL;
        self->state = AF_ITEM;
    }
    else if (is_end()) {
        self->state = AF_ENDED;
        status = PYGEN_RETURN;
    }
    else {
        self->state = AF_DONE;
    }
    Py_DECREF(aw);
    *presult = status == PYGEN_RETURN ? Py_NewRef(Py_None) : NULL;
    return status;
}

static PySendResult
async_for_am_send(AsyncForObject *self, PyObject *arg, PyObject **presult)
{
    AwaiteeObject *aw = (AwaiteeObject *)self->step;
    if (aw == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "async for: resumed with no step waiting");
        *presult = NULL;
        return PYGEN_ERROR;
    }
    self->state = AF_WAITING;
    PyObject *result;
    PySendResult status = step(aw, arg, &result);
    if (status == PYGEN_NEXT) {
        *presult = result;
        return PYGEN_NEXT;
    }
    return step_ended(self, status, result, presult);
}

static PyObject *
async_for_send(AsyncForObject *self, PyObject *arg)
{
    PyObject *result;
    PySendResult status = async_for_am_send(self, arg, &result);
    if (status == PYGEN_RETURN) {
        return stop_with(result, 1);
    }
    return result;
}

static PyObject *
async_for_next(AsyncForObject *self)
{
    if (self->state == AF_OFFERED || self->state == AF_WAITING) {  /* `yield from`'s steps */
        PyObject *result;
        PySendResult status = async_for_am_send(self, Py_None, &result);
        return status == PYGEN_RETURN ? stop_with(result, 0) : result;
    }
    return async_for_iternext(self);
}

static PyObject *
async_for_throw(AsyncForObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    AwaiteeObject *aw = (AwaiteeObject *)self->step;
    if (aw == NULL) {  /* no step waits: raised here */
        PyObject *error;
        if (nargs == 1 && PyExceptionInstance_Check(args[0])) {
            error = Py_NewRef(args[0]);
        }
        else if (nargs < 1 || nargs > 3) {
            PyErr_Format(PyExc_TypeError, "throw expected 1 to 3 arguments, got %zd", nargs);
            return NULL;
        }
        else if ((error = PyObject_Vectorcall(py_exception, args, nargs, NULL)) == NULL) {
            return NULL;
        }
        PyErr_SetObject((PyObject *)Py_TYPE(error), error);
        Py_DECREF(error);
        return NULL;
    }
    PyObject *result = awaitee_throw(aw, args, nargs);
    if (result != NULL) {
        return result;
    }
    if (PyErr_ExceptionMatches(PyExc_StopIteration)) {  /* the step handled it and ended */
        PyErr_Clear();
        step_ended(self, PYGEN_RETURN, NULL, &result);
        return stop_with(result, 1);
    }
    step_ended(self, PYGEN_ERROR, NULL, &result);
    if (self->state == AF_ENDED) {
        return stop_with(Py_NewRef(Py_None), 1);
    }
    return NULL;
}

static PyObject *
async_for_close(AsyncForObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *aw = self->step;
    self->step = NULL;
    self->state = AF_DONE;
    if (aw == NULL) {
        Py_RETURN_NONE;
    }
    PyObject *result = awaitee_close((AwaiteeObject *)aw, NULL);
    Py_DECREF(aw);
    return result;
}

/* The `yield from` after a step that waits: its awaitee hands the wait over
 * (as a `yield from` of the awaitee itself would, after its `for`). */
static void
hand_over(AsyncForObject *self)
{
    if (self->state == AF_OFFERED && self->step != NULL) {
        ((AwaiteeObject *)self->step)->state = RUNNING;
        self->state = AF_WAITING;
    }
}

/* ... or raises what `__anext__()` raised (AF_RAISING). */
static PyObject *
raise_kept(AsyncForObject *self)
{
    PyObject *error = self->item;
    self->item = NULL;
    self->state = AF_DONE;
    PyErr_SetObject((PyObject *)Py_TYPE(error), error);
    Py_DECREF(error);
    return NULL;
}

static PyObject *
async_for_iter(AsyncForObject *self)
{
    if (self->state == AF_RAISING) {
        return raise_kept(self);
    }
    hand_over(self);
    return Py_NewRef(self);
}

/* A name the stream lacks: the waiting step's awaitee answers (for what it awaits). */
static PyObject *
async_for_getattro(AsyncForObject *self, PyObject *name)
{
    PyObject *found = PyObject_GenericGetAttr((PyObject *)self, name);
    if (found != NULL || self->step == NULL || !PyErr_ExceptionMatches(PyExc_AttributeError)) {
        return found;
    }
    PyErr_Clear();
    return PyObject_GetAttr(self->step, name);
}

/* __class__: the waiting step's (its awaitable's), or the stream's own when none waits */
static PyObject *
async_for_get_class(AsyncForObject *self, void *Py_UNUSED(closure))
{
    if (self->step == NULL) {
        return Py_NewRef((PyObject *)Py_TYPE(self));
    }
    return PyObject_GetAttrString(self->step, "__class__");
}

static PyObject *
async_for_get_it(AsyncForObject *self, void *Py_UNUSED(closure))
{
    return Py_NewRef(self->it);
}

static PyObject *
async_for_repr(AsyncForObject *self)
{
    return PyUnicode_FromFormat("<async for over %R>", self->it);
}

static PyGetSetDef async_for_getset[] = {
    {"__class__", (getter)async_for_get_class, NULL,
     "The class of the waiting step's awaitable, as isinstance and inspect read it.", NULL},
    {"iterator", (getter)async_for_get_it, NULL, "The async iterator (what `__aiter__` returned).", NULL},
    {NULL}
};

static PyMethodDef async_for_methods[] = {
    {"send", (PyCFunction)async_for_send, METH_O, "Resume the waiting step with what the driver sent."},
    {"throw", (PyCFunction)(void (*)(void))async_for_throw, METH_FASTCALL,
     "Resume the waiting step with what the driver threw (a cancellation)."},
    {"close", (PyCFunction)async_for_close, METH_NOARGS, "Close the waiting step's awaitable."},
    {NULL}
};

static int
async_for_traverse(AsyncForObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->it);
    Py_VISIT(self->step);
    Py_VISIT(self->item);
    return 0;
}

static int
async_for_clear(AsyncForObject *self)
{
    Py_CLEAR(self->it);
    Py_CLEAR(self->step);
    Py_CLEAR(self->item);
    return 0;
}

static void
async_for_dealloc(AsyncForObject *self)
{
    PyObject_GC_UnTrack(self);
    async_for_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
async_for_await(AsyncForObject *self)
{
    if (self->state == AF_RAISING) {
        return raise_kept(self);
    }
    hand_over(self);
    return Py_NewRef(self);  /* an async generator's `async for` hands a wait over with `await` */
}

static PyAsyncMethods async_for_as_async = {
    .am_await = (unaryfunc)async_for_await,
    .am_send = (sendfunc)async_for_am_send,
};

static PyTypeObject AsyncForType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "desugar.runtime.AsyncFor",
    .tp_basicsize = sizeof(AsyncForObject),
    .tp_dealloc = (destructor)async_for_dealloc,
    .tp_repr = (reprfunc)async_for_repr,
    .tp_getattro = (getattrofunc)async_for_getattro,
    .tp_as_async = &async_for_as_async,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "`async for`'s stream of items; see desugar.runtime._stream.AsyncFor.",
    .tp_traverse = (traverseproc)async_for_traverse,
    .tp_clear = (inquiry)async_for_clear,
    .tp_iter = (getiterfunc)async_for_iter,
    .tp_iternext = (iternextfunc)async_for_next,
    .tp_methods = async_for_methods,
    .tp_getset = async_for_getset,
};

/* `async for`'s first step: the stream of `type(obj).__aiter__(obj)`. */
static PyObject *
async_for(PyObject *Py_UNUSED(module), PyObject *obj)
{
    PyObject *it;
    if (Py_IS_TYPE(obj, &PyAsyncGen_Type)) {
        it = Py_NewRef(obj);  /* (an async generator's __aiter__ returns itself) */
    }
    else {
        PyObject *reference = stream_helper(&py_aiter, "py_aiter");
        it = reference == NULL ? NULL : PyObject_CallOneArg(reference, obj);
        if (it == NULL) {
            STRIP_RUNTIME_ENTRIES(it);
            return NULL;
        }
    }
    AsyncForObject *self = PyObject_GC_New(AsyncForObject, &AsyncForType);
    if (self == NULL) {
        Py_DECREF(it);
        return NULL;
    }
    self->it = it;
    self->step = NULL;
    self->item = NULL;
    self->state = AF_IDLE;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

/* `IntoIterator::into_iter`: `iter(obj)`, with no frame of ours in a traceback. */
static PyObject *
into_iter(PyObject *Py_UNUSED(module), PyObject *obj)
{
    return PyObject_GetIter(obj);
}

/* `type_lookup(cls, name, missing)`: CPython's `_PyType_Lookup` (its method
 * cache), what the protocols find on a type before binding it. */
static PyObject *
type_lookup(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyType_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "type_lookup(cls, name, missing): a type and a str");
        return NULL;
    }
    PyObject *found = _PyType_Lookup((PyTypeObject *)args[0], args[1]);  /* (borrowed) */
    return Py_NewRef(found != NULL ? found : args[2]);
}

/* ---- async_fn ----------------------------------------------------------- */

static PyObject *py_async_fn = NULL;  /* the reference `async_fn`: fills `flagged`, handles the rest */
static PyObject *flagged = NULL;      /* its cache: id(generator code) -> (that code, coroutine code) */

#if PY_VERSION_HEX >= 0x030D0000 && PY_VERSION_HEX < 0x030E0000
#include <dlfcn.h>
/* 3.13's `_PyFunction_SetVersion` (internal/pycore_function.h), looked up when
 * the module loads rather than linked: a build of Python that does not export
 * it leaves this NULL and its functions unversioned, which is slower, not wrong.
 * Other versions keep the generic path: 3.14's layout is not known here. */
typedef void (*set_version_t)(PyFunctionObject *func, uint32_t version);
static set_version_t set_function_version = NULL;
#endif

/* `fn` (a new reference, or NULL) given the version its code's MAKE_FUNCTION
 * would have given it. On 3.13 a function made through the C API (as
 * `types.FunctionType` makes one) has none, and a call of a function with
 * none is never specialized (CALL_PY_EXACT_ARGS): every call of a translated
 * `async def` would take the generic path, pushing its frame through
 * `_PyEvalFramePushAndInit`. Earlier versions assign one at the first call. */
static PyObject *
versioned(PyObject *fn)
{
#if PY_VERSION_HEX >= 0x030D0000 && PY_VERSION_HEX < 0x030E0000
    if (set_function_version != NULL && fn != NULL && PyFunction_Check(fn)) {
        PyFunctionObject *f = (PyFunctionObject *)fn;
        if (f->func_version == 0) {
            set_function_version(f, ((PyCodeObject *)f->func_code)->co_version);
        }
    }
#endif
    return fn;
}

/* `@async_fn` on a translated `async def`, for a code object seen before
 * (each evaluation of a nested `async def`, of an async comprehension): the
 * same function as `_awaitee.async_fn` builds, without a Python frame. */
static PyObject *
async_fn(PyObject *Py_UNUSED(module), PyObject *fn)
{
    if (!PyFunction_Check(fn)) {
        return versioned(PyObject_CallOneArg(py_async_fn, fn));
    }
    PyFunctionObject *old = (PyFunctionObject *)fn;
    PyCodeObject *code = (PyCodeObject *)old->func_code;
    if (code->co_flags & CO_COROUTINE) {
        return Py_NewRef(fn);  /* already marked (by the import hook) */
    }
    PyObject *key = PyLong_FromVoidPtr(code);
    if (key == NULL) {
        return NULL;
    }
    PyObject *entry = PyDict_GetItemWithError(flagged, key);  /* (borrowed) */
    Py_DECREF(key);
    if (entry == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        return versioned(PyObject_CallOneArg(py_async_fn, fn));
    }
    /* (code, coroutine code), or for an async comprehension's function
     * (code, coroutine code, its native name, its native qualname) */
    Py_ssize_t size = PyTuple_Check(entry) ? PyTuple_GET_SIZE(entry) : 0;
    if ((size != 2 && size != 4)
        || PyTuple_GET_ITEM(entry, 0) != (PyObject *)code || old->func_dict != NULL) {
        return versioned(PyObject_CallOneArg(py_async_fn, fn));  /* (a function with attributes: rare) */
    }
    PyObject *name = size == 4 ? PyTuple_GET_ITEM(entry, 2) : old->func_name;
    PyObject *qualname = size == 4 ? PyTuple_GET_ITEM(entry, 3) : old->func_qualname;
    PyObject *new = PyFunction_NewWithQualName(PyTuple_GET_ITEM(entry, 1), old->func_globals,
                                               qualname);
    if (new == NULL) {
        return NULL;
    }
    PyFunctionObject *f = (PyFunctionObject *)new;
    if ((old->func_defaults != NULL && PyFunction_SetDefaults(new, old->func_defaults) < 0)
        || (old->func_kwdefaults != NULL && PyFunction_SetKwDefaults(new, old->func_kwdefaults) < 0)
        || (old->func_closure != NULL && PyFunction_SetClosure(new, old->func_closure) < 0)) {
        Py_DECREF(new);
        return NULL;
    }
    Py_XSETREF(f->func_name, Py_NewRef(name));
    Py_XSETREF(f->func_module, Py_XNewRef(old->func_module));
    Py_XSETREF(f->func_doc, Py_XNewRef(old->func_doc));
    /* (as stored: a tuple of names and values until first read, on 3.10+) */
    Py_XSETREF(f->func_annotations, Py_XNewRef(old->func_annotations));
#if PY_VERSION_HEX >= 0x030C0000
    Py_XSETREF(f->func_typeparams, Py_XNewRef(old->func_typeparams));
#endif
    return versioned(new);
}

/* ---- the poll recorder's hot path (desugar.trace) ---------------------------
 *
 * What `desugar run --trace` runs per poll and per wake, in C: the walk of a
 * task's await chain (`Walker`), asyncio's `Handle._run` around a task's step
 * (`StepHook`) and `BaseEventLoop._call_soon` of a task's step (`WakeHook`).
 * Their pure-Python twins, and the reference of what they do, are
 * `desugar.trace._recorder.py_walk`, `desugar.trace._hooks.py_step_hook` and
 * `py_wake_hook`. The hooks do the common case only (a step of a task seen
 * before, not its first poll, nor its last) and hand everything else to the
 * Python functions they are given. A task's record is the Python
 * `TaskRecord`: its slots are read and written where `__slots__` put them
 * (the offsets of its member descriptors, read once). */

typedef struct {
    getter get;      /* the C getter of a getset descriptor, or NULL: */
    void *closure;
    PyObject *name;  /* the attribute, looked up */
} Attr;

static Attr cr_frame_attr, cr_await_attr, gi_frame_attr, gi_yieldfrom_attr, ag_frame_attr, ag_await_attr;

static int
attr_init(Attr *attr, PyTypeObject *type, const char *name)
{
    attr->name = PyUnicode_InternFromString(name);
    if (attr->name == NULL) {
        return -1;
    }
    PyObject *descr = _PyType_Lookup(type, attr->name);  /* (borrowed) */
    if (descr != NULL && Py_IS_TYPE(descr, &PyGetSetDescr_Type)) {
        attr->get = ((PyGetSetDescrObject *)descr)->d_getset->get;
        attr->closure = ((PyGetSetDescrObject *)descr)->d_getset->closure;
    }
    return 0;
}

static inline PyObject *
attr_of(Attr *attr, PyObject *obj)
{
    return attr->get != NULL ? attr->get(obj, attr->closure) : PyObject_GetAttr(obj, attr->name);
}

static inline long long
now_ns(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    PyTime_t t;
    (void)PyTime_PerfCounterRaw(&t);
    return (long long)t;
#else
    return (long long)_PyTime_GetPerfCounter();  /* (nanoseconds: time.perf_counter_ns) */
#endif
}

static PyObject *str_get = NULL, *str_self = NULL, *str_f_locals = NULL, *str_awaited = NULL;
static PyObject *str_callback = NULL, *str_dunder_self = NULL, *str_get_coro = NULL, *str_done = NULL;
static PyObject *str_get_name = NULL;
static PyObject *str_task = NULL, *str_append = NULL, *str_flows = NULL;
static PyObject *str_P = NULL, *str_W = NULL, *str_pending = NULL, *str_kind_self = NULL;
static PyObject *str_kind_task = NULL, *empty_tuple = NULL, *zero = NULL;
static PyObject *str_ids = NULL, *str_driver = NULL, *str_ready = NULL, *str_empty = NULL;
static PyObject *str_cancelled = NULL, *str_exception_ = NULL, *str_id = NULL;
static PyObject *str_kind_timer = NULL, *str_kind_io = NULL, *str_kind_other = NULL;
static PyObject *str_future = NULL, *str_scheduled = NULL;

#define WALK_MAX 200
#define WALK_SEEN 512

typedef struct {
    PyObject_HEAD
    PyObject *pairs;          /* id(code) -> (code, leaf poll?, {lasti: pair}, {line: pair}) */
    PyObject *chains;         /* chain -> the same chain (one tuple per distinct chain) */
    PyObject *info;           /* info(frame) -> (function, file, hidden) */
    PyObject *unwrapped;      /* unwrapped(obj): what a wrapper stands for, or None */
    PyObject *awaitees;       /* the types whose awaited() is the next level */
    PyObject *leaf_code;      /* the code awaiting a runtime Future */
    PyObject *leaf_codes;     /* the leaf futures' poll codes (a set) */
    PyObject *polled_future;  /* polled_future(frame) */
    struct {                  /* (in front of `pairs`: by code and last instruction, direct-mapped) */
        PyObject *code, *entry, *pair;
        int lasti;
    } seen[WALK_SEEN];
} WalkerObject;

static void
walker_forget(WalkerObject *w)
{
    for (int i = 0; i < WALK_SEEN; i++) {
        Py_CLEAR(w->seen[i].code);
        Py_CLEAR(w->seen[i].entry);
        Py_CLEAR(w->seen[i].pair);
    }
}

static PyTypeObject WalkerType;

/* The walk's cache entry of `code`: (code, is it a leaf future's poll, {lasti: pair},
 * {line: pair}), keyed by id(code) (a code object's hash goes through its bytecode). */
static PyObject *
code_entry(WalkerObject *w, PyObject *code, PyObject *frame)
{
    PyObject *key = PyLong_FromVoidPtr(code);
    if (key == NULL) {
        return NULL;
    }
    PyObject *entry = PyDict_GetItemWithError(w->pairs, key);  /* (borrowed) */
    if (entry != NULL && PyTuple_CheckExact(entry) && PyTuple_GET_SIZE(entry) == 4
        && PyTuple_GET_ITEM(entry, 0) == code) {
        Py_DECREF(key);
        return entry;
    }
    if (PyErr_Occurred()) {
        Py_DECREF(key);
        return NULL;
    }
    int leaf = code == w->leaf_code;
    if (!leaf && PyAnySet_Check(w->leaf_codes)) {
        leaf = PySet_Contains(w->leaf_codes, code);
    }
    PyObject *by_lasti = PyDict_New(), *by_line = PyDict_New();
    entry = leaf >= 0 && by_lasti != NULL && by_line != NULL
            ? PyTuple_Pack(4, code, leaf ? Py_True : Py_False, by_lasti, by_line) : NULL;
    Py_XDECREF(by_lasti);
    Py_XDECREF(by_line);
    int set = entry != NULL ? PyDict_SetItem(w->pairs, key, entry) : -1;
    Py_DECREF(key);
    Py_XDECREF(entry);  /* (the cache keeps it) */
    return set < 0 ? NULL : entry;
}

/* The frame's ((function, file, hidden), line) from its code's `entry` (borrowed). */
static PyObject *
frame_pair(WalkerObject *w, PyObject *entry, PyObject *frame)
{
#if PY_VERSION_HEX >= 0x030B0000
    PyObject *lasti = PyLong_FromLong(PyFrame_GetLasti((PyFrameObject *)frame));
#else
    PyObject *lasti = PyObject_GetAttrString(frame, "f_lasti");
#endif
    if (lasti == NULL) {
        return NULL;
    }
    PyObject *by_lasti = PyTuple_GET_ITEM(entry, 2);
    PyObject *pair = PyDict_GetItemWithError(by_lasti, lasti);  /* (borrowed) */
    if (pair == NULL && !PyErr_Occurred()) {
        PyObject *by_line = PyTuple_GET_ITEM(entry, 3);
        PyObject *line = PyLong_FromLong(PyFrame_GetLineNumber((PyFrameObject *)frame));
        pair = line != NULL ? PyDict_GetItemWithError(by_line, line) : NULL;
        if (pair == NULL && line != NULL && !PyErr_Occurred()) {
            PyObject *info = PyObject_CallOneArg(w->info, frame);
            PyObject *made = info != NULL ? PyTuple_Pack(2, info, line) : NULL;
            Py_XDECREF(info);
            if (made != NULL && PyDict_SetItem(by_line, line, made) == 0) {
                pair = made;
            }
            Py_XDECREF(made);  /* (the cache keeps it) */
        }
        Py_XDECREF(line);
        if (pair != NULL && PyDict_SetItem(by_lasti, lasti, pair) < 0) {
            pair = NULL;
        }
    }
    Py_DECREF(lasti);
    return pair;
}

/* The await chain from `obj` inwards: a new reference to the chain (`hint` itself when
 * the chain is the same), `*leaf` a new reference to what the innermost frame waits on
 * (NULL: nothing but frames). As `_recorder.py_walk`. */
static PyObject *
walk_chain(WalkerObject *w, PyObject *obj, PyObject *keep, PyObject *hint, PyObject **leaf)
{
    PyObject *found[WALK_MAX];
    Py_ssize_t n = 0;
    int depth = 0;
    *leaf = NULL;
    Py_INCREF(obj);
    while (obj != Py_None && depth < WALK_MAX) {
        depth++;
        if (keep != NULL && PyList_Append(keep, obj) < 0) {
            goto error;
        }
        PyTypeObject *kind = Py_TYPE(obj);
        PyObject *frame, *inner, *next;
        if (kind == &PyCoro_Type || kind == &PyGen_Type || kind == &PyAsyncGen_Type) {
            Attr *f = kind == &PyCoro_Type ? &cr_frame_attr : kind == &PyGen_Type ? &gi_frame_attr : &ag_frame_attr;
            Attr *a = kind == &PyCoro_Type ? &cr_await_attr : kind == &PyGen_Type ? &gi_yieldfrom_attr : &ag_await_attr;
            frame = attr_of(f, obj);
            if (frame == NULL) {
                goto error;
            }
            inner = attr_of(a, obj);
            if (inner == NULL) {
                Py_DECREF(frame);
                goto error;
            }
        }
        else {
            if (kind == &AwaiteeType) {
                PyObject *it = ((AwaiteeObject *)obj)->it;
                next = Py_NewRef(it != NULL ? it : Py_None);
            }
            else {
                int is_awaitee = 0;
                Py_ssize_t count = PyTuple_GET_SIZE(w->awaitees);
                for (Py_ssize_t i = 0; i < count; i++) {
                    if ((PyObject *)kind == PyTuple_GET_ITEM(w->awaitees, i)) {
                        is_awaitee = 1;
                        break;
                    }
                }
                if (!is_awaitee && count) {
                    is_awaitee = PyObject_IsInstance(obj, w->awaitees);
                    if (is_awaitee < 0) {
                        goto error;
                    }
                }
                if (is_awaitee) {
                    next = PyObject_CallMethodNoArgs(obj, str_awaited);
                }
                else {
                    next = PyObject_CallOneArg(w->unwrapped, obj);
                    if (next == Py_None) {
                        Py_DECREF(next);
                        *leaf = obj;  /* (the reference) */
                        obj = NULL;
                        break;
                    }
                }
                if (next == NULL) {
                    goto error;
                }
            }
            Py_SETREF(obj, next);
            continue;
        }
        if (frame == Py_None) {
            Py_DECREF(frame);
            Py_DECREF(inner);
            break;
        }
        if (keep != NULL && PyList_Append(keep, frame) < 0) {
            goto frame_error;
        }
        PyCodeObject *code = PyFrame_GetCode((PyFrameObject *)frame);
        PyObject *entry, *pair;  /* (borrowed) */
#if PY_VERSION_HEX >= 0x030B0000
        int lasti = PyFrame_GetLasti((PyFrameObject *)frame);
        size_t slot = (((uintptr_t)code >> 4) ^ ((uintptr_t)code >> 13) ^ ((size_t)lasti * 40503u)) % WALK_SEEN;
        if (w->seen[slot].code == (PyObject *)code && w->seen[slot].lasti == lasti) {
            entry = w->seen[slot].entry;
            pair = w->seen[slot].pair;
        }
        else
#endif
        {
            entry = code_entry(w, (PyObject *)code, frame);
            if (entry == NULL) {
                goto code_error;
            }
            pair = frame_pair(w, entry, frame);
            if (pair == NULL) {
                goto code_error;
            }
#if PY_VERSION_HEX >= 0x030B0000
            Py_INCREF(code);
            Py_INCREF(entry);
            Py_INCREF(pair);
            Py_XSETREF(w->seen[slot].code, (PyObject *)code);
            Py_XSETREF(w->seen[slot].entry, entry);
            Py_XSETREF(w->seen[slot].pair, pair);
            w->seen[slot].lasti = lasti;
#endif
        }
        found[n++] = Py_NewRef(pair);
        if (inner == Py_None) {
            if (PyTuple_GET_ITEM(entry, 1) == Py_True) {
                PyObject *future = PyObject_CallOneArg(w->polled_future, frame);
                if (future == NULL) {
                    goto code_error;
                }
                if (future != Py_None) {
                    *leaf = future;
                    Py_DECREF(code);
                    Py_DECREF(frame);
                    Py_DECREF(inner);
                    Py_CLEAR(obj);
                    break;
                }
                Py_DECREF(future);
            }
            if (PyUnicode_CompareWithASCIIString(code->co_name, "__await__") == 0) {
                /* (the pure-Python asyncio Future's __await__: its future) */
                PyObject *locals = PyObject_GetAttr(frame, str_f_locals);
                PyObject *self = locals != NULL ? PyObject_CallMethodOneArg(locals, str_get, str_self) : NULL;
                if (self == NULL || (self != Py_None && keep != NULL && PyList_Append(keep, locals) < 0)) {
                    Py_XDECREF(self);
                    Py_XDECREF(locals);
                    goto code_error;
                }
                Py_DECREF(locals);
                Py_SETREF(inner, self);
            }
        }
        Py_DECREF(code);
        Py_DECREF(frame);
        Py_SETREF(obj, inner);
        continue;
      code_error:
        Py_DECREF(code);
      frame_error:
        Py_DECREF(frame);
        Py_DECREF(inner);
        goto error;
    }
    Py_XDECREF(obj);
    PyObject *chain;
    if (hint != NULL && PyTuple_CheckExact(hint) && PyTuple_GET_SIZE(hint) == n) {
        Py_ssize_t i = 0;
        while (i < n && PyTuple_GET_ITEM(hint, i) == found[i]) {
            i++;
        }
        if (i == n) {
            for (i = 0; i < n; i++) {
                Py_DECREF(found[i]);
            }
            return Py_NewRef(hint);
        }
    }
    PyObject *made = PyTuple_New(n);
    if (made == NULL) {
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_DECREF(found[i]);
        }
        Py_CLEAR(*leaf);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTuple_SET_ITEM(made, i, found[i]);  /* (steals) */
    }
    chain = PyDict_SetDefault(w->chains, made, made);  /* (borrowed) */
    Py_XINCREF(chain);
    Py_DECREF(made);
    if (chain == NULL) {
        Py_CLEAR(*leaf);
    }
    return chain;
  error:
    Py_XDECREF(obj);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_DECREF(found[i]);
    }
    Py_CLEAR(*leaf);
    return NULL;
}

static PyObject *
walker_call(WalkerObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *obj, *keep = Py_None, *hint = Py_None;
    static char *kwlist[] = {"obj", "keep", "hint", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OO:walk", kwlist, &obj, &keep, &hint)) {
        return NULL;
    }
    if (keep != Py_None && !PyList_Check(keep)) {
        PyErr_SetString(PyExc_TypeError, "walk(obj, keep=None, hint=None): keep must be a list");
        return NULL;
    }
    PyObject *leaf;
    PyObject *chain = walk_chain(self, obj, keep == Py_None ? NULL : keep,
                                 hint == Py_None ? NULL : hint, &leaf);
    if (chain == NULL) {
        return NULL;
    }
    PyObject *result = PyTuple_Pack(2, chain, leaf != NULL ? leaf : Py_None);
    Py_DECREF(chain);
    Py_XDECREF(leaf);
    return result;
}

static int
walker_set(WalkerObject *self, PyObject *awaitees, PyObject *leaf_code, PyObject *leaf_codes,
           PyObject *polled_future)
{
    if (!PyTuple_Check(awaitees)) {
        PyErr_SetString(PyExc_TypeError, "the awaitee types must be a tuple");
        return -1;
    }
    Py_XSETREF(self->awaitees, Py_NewRef(awaitees));
    Py_XSETREF(self->leaf_code, Py_NewRef(leaf_code));
    Py_XSETREF(self->leaf_codes, Py_NewRef(leaf_codes));
    Py_XSETREF(self->polled_future, Py_NewRef(polled_future));
    return 0;
}

static PyObject *
walker_set_runtime(WalkerObject *self, PyObject *args)
{
    PyObject *awaitees, *leaf_code, *leaf_codes, *polled_future;
    if (!PyArg_ParseTuple(args, "OOOO:set_runtime", &awaitees, &leaf_code, &leaf_codes, &polled_future)
        || walker_set(self, awaitees, leaf_code, leaf_codes, polled_future) < 0) {
        return NULL;
    }
    walker_forget(self);  /* (which codes are leaf polls may have changed: `pairs` was cleared) */
    Py_RETURN_NONE;
}

static PyObject *
walker_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *pairs, *chains, *info, *unwrapped;
    static char *kwlist[] = {"pairs", "chains", "info", "unwrapped", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!OO:Walker", kwlist, &PyDict_Type, &pairs,
                                     &PyDict_Type, &chains, &info, &unwrapped)) {
        return NULL;
    }
    WalkerObject *self = (WalkerObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->pairs = Py_NewRef(pairs);
    self->chains = Py_NewRef(chains);
    self->info = Py_NewRef(info);
    self->unwrapped = Py_NewRef(unwrapped);
    if (walker_set(self, empty_tuple, Py_None, Py_None, Py_None) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
walker_traverse(WalkerObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->pairs);
    Py_VISIT(self->chains);
    Py_VISIT(self->info);
    Py_VISIT(self->unwrapped);
    Py_VISIT(self->awaitees);
    Py_VISIT(self->leaf_code);
    Py_VISIT(self->leaf_codes);
    Py_VISIT(self->polled_future);
    for (int i = 0; i < WALK_SEEN; i++) {
        Py_VISIT(self->seen[i].code);
        Py_VISIT(self->seen[i].entry);
        Py_VISIT(self->seen[i].pair);
    }
    return 0;
}

static int
walker_clear(WalkerObject *self)
{
    Py_CLEAR(self->pairs);
    Py_CLEAR(self->chains);
    Py_CLEAR(self->info);
    Py_CLEAR(self->unwrapped);
    Py_CLEAR(self->awaitees);
    Py_CLEAR(self->leaf_code);
    Py_CLEAR(self->leaf_codes);
    Py_CLEAR(self->polled_future);
    walker_forget(self);
    return 0;
}

static void
walker_dealloc(WalkerObject *self)
{
    PyObject_GC_UnTrack(self);
    walker_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef walker_methods[] = {
    {"set_runtime", (PyCFunction)walker_set_runtime, METH_VARARGS,
     "set_runtime(awaitees, leaf_code, leaf_codes, polled_future): the runtime's awaitees and leaf futures."},
    {NULL}
};

static PyTypeObject WalkerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "desugar.runtime._speedups.Walker",
    .tp_basicsize = sizeof(WalkerObject),
    .tp_dealloc = (destructor)walker_dealloc,
    .tp_call = (ternaryfunc)walker_call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "walk(obj, keep=None, hint=None) -> (chain, leaf): a task's await chain "
              "(see desugar.trace._recorder.py_walk).",
    .tp_traverse = (traverseproc)walker_traverse,
    .tp_clear = (inquiry)walker_clear,
    .tp_methods = walker_methods,
    .tp_new = walker_new,
};

/* -- EventRing: the recorder's events, kept as raw values ----------------------
 *
 * The ring of the last `maxlen` events (`collections.deque(maxlen=...)` is its
 * Python twin, and what it reads as): a poll ("P", id, start, end, chain,
 * outcome, waits, flow) and a wake ("W", waker id, at, flow, kind) are kept as
 * C values and the references they hold, not as tuples and ints, so recording
 * allocates nothing per event for the collector to track; each is made a tuple
 * again only when the ring is read (`list(ring)`, when the trace is written or
 * the console asks). Anything else appended is kept as it is. */

typedef struct {
    PyObject *a;      /* P: the chain; W: who woke (a str); else the event itself */
    PyObject *b, *c;  /* P: the outcome and what it waits on */
    long long id, t1, t2, flow;
    char kind;        /* 'P', 'W', or 0 */
} RingEvent;

typedef struct {
    PyObject_HEAD
    RingEvent *events;
    Py_ssize_t maxlen, capacity, first, len;
} EventRingObject;

static PyTypeObject EventRingType;

static void
ring_event_clear(RingEvent *event)
{
    Py_CLEAR(event->a);
    Py_CLEAR(event->b);
    Py_CLEAR(event->c);
}

/* Keeps `event` (its references are the ring's now); -1 with MemoryError. */
static int
ring_push(EventRingObject *ring, RingEvent *event)
{
    if (ring->maxlen == 0) {
        ring_event_clear(event);
        return 0;
    }
    if (ring->len == ring->capacity && ring->capacity < ring->maxlen) {
        Py_ssize_t capacity = ring->capacity ? ring->capacity * 2 : 1024;
        if (capacity > ring->maxlen) {
            capacity = ring->maxlen;
        }
        RingEvent *grown = PyMem_Realloc(ring->events, capacity * sizeof(RingEvent));
        if (grown == NULL) {
            ring_event_clear(event);
            PyErr_NoMemory();
            return -1;
        }
        ring->events = grown;  /* (not wrapped yet: `first` is 0 until the ring is full) */
        ring->capacity = capacity;
    }
    if (ring->len < ring->capacity) {
        ring->events[ring->len++] = *event;
        return 0;
    }
    RingEvent old = ring->events[ring->first];  /* (dropped after, in case it runs code) */
    ring->events[ring->first] = *event;
    ring->first = (ring->first + 1) % ring->capacity;
    ring_event_clear(&old);
    return 0;
}

static int
ring_push_poll(EventRingObject *ring, long long id, long long start, long long end, PyObject *raw,
               PyObject *outcome, PyObject *waits, long long flow)
{
    RingEvent event = {Py_NewRef(raw), Py_NewRef(outcome), Py_NewRef(waits), id, start, end, flow, 'P'};
    return ring_push(ring, &event);
}

static int
ring_push_wake(EventRingObject *ring, long long id, long long at, long long flow, PyObject *kind)
{
    RingEvent event = {Py_NewRef(kind), NULL, NULL, id, at, 0, flow, 'W'};
    return ring_push(ring, &event);
}

static int
as_ll(PyObject *obj, long long *value)
{
    if (!PyLong_CheckExact(obj)) {
        return 0;
    }
    int overflow;
    *value = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (*value == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    return !overflow;
}

static PyObject *
ring_append(EventRingObject *ring, PyObject *obj)
{
    RingEvent event = {NULL, NULL, NULL, 0, 0, 0, 0, 0};
    Py_ssize_t size = PyTuple_CheckExact(obj) ? PyTuple_GET_SIZE(obj) : 0;
    PyObject *const *item = size ? &PyTuple_GET_ITEM(obj, 0) : NULL;
    if (size == 8 && PyUnicode_Check(item[0]) && PyUnicode_CompareWithASCIIString(item[0], "P") == 0
        && as_ll(item[1], &event.id) && as_ll(item[2], &event.t1) && as_ll(item[3], &event.t2)
        && as_ll(item[7], &event.flow)) {
        event = (RingEvent){Py_NewRef(item[4]), Py_NewRef(item[5]), Py_NewRef(item[6]),
                            event.id, event.t1, event.t2, event.flow, 'P'};
    }
    else if (size == 5 && PyUnicode_Check(item[0]) && PyUnicode_CompareWithASCIIString(item[0], "W") == 0
             && as_ll(item[1], &event.id) && as_ll(item[2], &event.t1) && as_ll(item[3], &event.flow)) {
        event = (RingEvent){Py_NewRef(item[4]), NULL, NULL, event.id, event.t1, 0, event.flow, 'W'};
    }
    else {
        event = (RingEvent){Py_NewRef(obj), NULL, NULL, 0, 0, 0, 0, 0};
    }
    if (ring_push(ring, &event) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
ring_event_tuple(RingEvent *event)
{
    if (event->kind == 'P') {
        return Py_BuildValue("(sLLLOOOL)", "P", event->id, event->t1, event->t2, event->a, event->b,
                             event->c, event->flow);
    }
    if (event->kind == 'W') {
        return Py_BuildValue("(sLLLO)", "W", event->id, event->t1, event->flow, event->a);
    }
    return Py_NewRef(event->a);
}

/* The events, oldest first, as tuples (a list). */
static PyObject *
ring_list(EventRingObject *ring)
{
    PyObject *list = PyList_New(ring->len);
    if (list == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < ring->len; i++) {
        PyObject *event = ring_event_tuple(&ring->events[(ring->first + i) % ring->capacity]);
        if (event == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, event);
    }
    return list;
}

static PyObject *
ring_iter(EventRingObject *ring)
{
    PyObject *list = ring_list(ring);
    if (list == NULL) {
        return NULL;
    }
    PyObject *it = PyObject_GetIter(list);
    Py_DECREF(list);
    return it;
}

static Py_ssize_t
ring_length(EventRingObject *ring)
{
    return ring->len;
}

static int
ring_clear(EventRingObject *ring)
{
    RingEvent *events = ring->events;
    Py_ssize_t len = ring->len;
    ring->events = NULL;
    ring->len = ring->capacity = ring->first = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        ring_event_clear(&events[i]);
    }
    PyMem_Free(events);
    return 0;
}

static PyObject *
ring_clear_method(EventRingObject *ring, PyObject *Py_UNUSED(ignored))
{
    ring_clear(ring);
    Py_RETURN_NONE;
}

static int
ring_traverse(EventRingObject *ring, visitproc visit, void *arg)
{
    for (Py_ssize_t i = 0; i < ring->len; i++) {
        Py_VISIT(ring->events[i].a);
        Py_VISIT(ring->events[i].b);
        Py_VISIT(ring->events[i].c);
    }
    return 0;
}

static void
ring_dealloc(EventRingObject *ring)
{
    PyObject_GC_UnTrack(ring);
    ring_clear(ring);
    Py_TYPE(ring)->tp_free((PyObject *)ring);
}

static PyObject *
ring_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    Py_ssize_t maxlen;
    static char *kwlist[] = {"maxlen", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "n:EventRing", kwlist, &maxlen)) {
        return NULL;
    }
    if (maxlen < 0) {
        PyErr_SetString(PyExc_ValueError, "maxlen must be non-negative");
        return NULL;
    }
    EventRingObject *ring = (EventRingObject *)type->tp_alloc(type, 0);
    if (ring != NULL) {
        ring->maxlen = maxlen;
    }
    return (PyObject *)ring;
}

static PyObject *
ring_get_maxlen(EventRingObject *ring, void *Py_UNUSED(closure))
{
    return PyLong_FromSsize_t(ring->maxlen);
}

static PyMethodDef ring_methods[] = {
    {"append", (PyCFunction)ring_append, METH_O, "Keep an event (the oldest goes when the ring is full)."},
    {"clear", (PyCFunction)ring_clear_method, METH_NOARGS, "Drop every event."},
    {NULL}
};

static PyGetSetDef ring_getset[] = {
    {"maxlen", (getter)ring_get_maxlen, NULL, "The events kept at most.", NULL},
    {NULL}
};

static PySequenceMethods ring_as_sequence = {
    .sq_length = (lenfunc)ring_length,
};

static PyTypeObject EventRingType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "desugar.runtime._speedups.EventRing",
    .tp_basicsize = sizeof(EventRingObject),
    .tp_dealloc = (destructor)ring_dealloc,
    .tp_as_sequence = &ring_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "EventRing(maxlen): the recorder's last events (see desugar.trace._recorder).",
    .tp_traverse = (traverseproc)ring_traverse,
    .tp_clear = (inquiry)ring_clear,
    .tp_iter = (getiterfunc)ring_iter,
    .tp_methods = ring_methods,
    .tp_getset = ring_getset,
    .tp_new = ring_new,
};

/* -- TaskSlot: which task each thread polls -------------------------------------
 *
 * The recorder's `local` (`threading.local` is its Python twin): per thread, `task`
 * (the record of the task being polled) and `kind` (who is waking, outside any
 * task); None where unset. The thread that set them first reads and writes them in
 * place, from C without an attribute lookup; other threads through a dict. */

typedef struct {
    PyObject_HEAD
    unsigned long owner;  /* the thread of `task` and `kind` (0: none yet) */
    PyObject *task, *kind;
    PyObject *others;     /* thread id -> [task, kind] for the other threads (NULL: none) */
} TaskSlotObject;

static PyTypeObject TaskSlotType;
static PyObject *str_kind = NULL;

/* Where this thread's value of `which` (0: task, 1: kind) is; NULL with an error set. */
static PyObject **
task_slot_of(TaskSlotObject *slot, int which)
{
    unsigned long thread = PyThread_get_thread_ident();
    if (slot->owner == 0) {
        slot->owner = thread;
    }
    if (thread == slot->owner) {
        return which ? &slot->kind : &slot->task;
    }
    if (slot->others == NULL && (slot->others = PyDict_New()) == NULL) {
        return NULL;
    }
    PyObject *key = PyLong_FromUnsignedLong(thread);
    if (key == NULL) {
        return NULL;
    }
    PyObject *values = PyDict_GetItemWithError(slot->others, key);  /* (borrowed) */
    if (values == NULL && !PyErr_Occurred()) {
        values = PyList_New(2);
        if (values != NULL) {
            PyList_SET_ITEM(values, 0, Py_NewRef(Py_None));
            PyList_SET_ITEM(values, 1, Py_NewRef(Py_None));
            int set = PyDict_SetItem(slot->others, key, values);
            Py_DECREF(values);  /* (the dict keeps it) */
            if (set < 0) {
                values = NULL;
            }
        }
    }
    Py_DECREF(key);
    return values == NULL ? NULL : &((PyListObject *)values)->ob_item[which];
}

/* This thread's task (a new reference; None if unset). */
static PyObject *
task_slot_get(TaskSlotObject *slot, int which)
{
    PyObject **place = task_slot_of(slot, which);
    if (place == NULL) {
        return NULL;
    }
    return Py_NewRef(*place != NULL ? *place : Py_None);
}

static int
task_slot_set(TaskSlotObject *slot, int which, PyObject *value)
{
    PyObject **place = task_slot_of(slot, which);
    if (place == NULL) {
        return -1;
    }
    Py_XSETREF(*place, Py_NewRef(value != NULL ? value : Py_None));
    return 0;
}

static int
task_slot_which(PyObject *name)
{
    if (PyUnicode_Check(name)) {
        if (PyUnicode_Compare(name, str_task) == 0) {
            return 0;
        }
        if (PyUnicode_Compare(name, str_kind) == 0) {
            return 1;
        }
    }
    return -1;
}

static PyObject *
task_slot_getattro(TaskSlotObject *slot, PyObject *name)
{
    int which = task_slot_which(name);
    if (which < 0) {
        return PyObject_GenericGetAttr((PyObject *)slot, name);
    }
    return task_slot_get(slot, which);
}

static int
task_slot_setattro(TaskSlotObject *slot, PyObject *name, PyObject *value)
{
    int which = task_slot_which(name);
    if (which < 0) {
        PyErr_Format(PyExc_AttributeError, "a TaskSlot has only task and kind, not %R", name);
        return -1;
    }
    return task_slot_set(slot, which, value);
}

static PyObject *
task_slot_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) != 0 || (kwds != NULL && PyDict_GET_SIZE(kwds) != 0)) {
        PyErr_SetString(PyExc_TypeError, "TaskSlot() takes no arguments");
        return NULL;
    }
    return type->tp_alloc(type, 0);
}

static int
task_slot_traverse(TaskSlotObject *slot, visitproc visit, void *arg)
{
    Py_VISIT(slot->task);
    Py_VISIT(slot->kind);
    Py_VISIT(slot->others);
    return 0;
}

static int
task_slot_clear(TaskSlotObject *slot)
{
    Py_CLEAR(slot->task);
    Py_CLEAR(slot->kind);
    Py_CLEAR(slot->others);
    return 0;
}

static void
task_slot_dealloc(TaskSlotObject *slot)
{
    PyObject_GC_UnTrack(slot);
    task_slot_clear(slot);
    Py_TYPE(slot)->tp_free((PyObject *)slot);
}

static PyTypeObject TaskSlotType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "desugar.runtime._speedups.TaskSlot",
    .tp_basicsize = sizeof(TaskSlotObject),
    .tp_dealloc = (destructor)task_slot_dealloc,
    .tp_getattro = (getattrofunc)task_slot_getattro,
    .tp_setattro = (setattrofunc)task_slot_setattro,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Per thread: task (the record polled) and kind (who wakes); None where unset.",
    .tp_traverse = (traverseproc)task_slot_traverse,
    .tp_clear = (inquiry)task_slot_clear,
    .tp_new = task_slot_new,
};

/* `local.task` for the hooks: a new reference (None if unset). */
static PyObject *
local_task(PyObject *local)
{
    if (Py_IS_TYPE(local, &TaskSlotType)) {
        return task_slot_get((TaskSlotObject *)local, 0);
    }
    PyObject *task = PyObject_GetAttr(local, str_task);
    if (task == NULL && PyErr_ExceptionMatches(PyExc_AttributeError)) {
        PyErr_Clear();
        task = Py_NewRef(Py_None);
    }
    return task;
}

static int
set_local_task(PyObject *local, PyObject *task)
{
    if (Py_IS_TYPE(local, &TaskSlotType)) {
        return task_slot_set((TaskSlotObject *)local, 0, task);
    }
    return PyObject_SetAttr(local, str_task, task);
}

/* -- a TaskRecord's slots ------------------------------------------------- */

enum {
    R_ID, R_POLLS, R_BUSY, R_SCHED, R_RUNNING, R_WOKEN_AT, R_RAW, R_WAITS, R_AWAITS, R_FLOW,
    R_POLL_TIMES, R_SCHED_TIMES, R_END, R_WOKEN, R_WAKES, R_NAME, R_DRIVER, R_PARENT, R_CREATED,
    R_KEY, R_SPANS, R_OBJ, R_COUNT
};
static const char *record_slots[R_COUNT] = {
    "id", "polls", "busy", "sched", "running", "woken_at", "raw", "waits", "awaits", "flow",
    "poll_times", "sched_times", "end", "woken", "wakes", "name", "driver", "parent", "created",
    "key", "spans", "obj",
};

#define R_ALL 64  /* (at most this many slots in all) */

typedef struct {
    PyTypeObject *type;
    Py_ssize_t offset[R_COUNT];
    Py_ssize_t all;                 /* the number of all the record's slots */
    Py_ssize_t all_offset[R_ALL];   /* (each of them, in `__slots__` order) */
} RecordLayout;

static int
layout_init(RecordLayout *layout, PyObject *type)
{
    if (!PyType_Check(type)) {
        PyErr_SetString(PyExc_TypeError, "the record type must be a class");
        return -1;
    }
    for (int i = 0; i < R_COUNT; i++) {
        PyObject *descr = PyObject_GetAttrString(type, record_slots[i]);
        if (descr == NULL) {
            return -1;
        }
        int ok = Py_IS_TYPE(descr, &PyMemberDescr_Type)
                 && ((PyMemberDescrObject *)descr)->d_member->type == T_OBJECT_EX;
        if (ok) {
            layout->offset[i] = ((PyMemberDescrObject *)descr)->d_member->offset;
        }
        Py_DECREF(descr);
        if (!ok) {
            PyErr_Format(PyExc_TypeError, "the record type's %s must be a slot", record_slots[i]);
            return -1;
        }
    }
    PyObject *names = PyObject_GetAttrString(type, "__slots__");
    PyObject *seq = names != NULL ? PySequence_Fast(names, "__slots__") : NULL;
    Py_XDECREF(names);
    if (seq == NULL) {
        return -1;
    }
    layout->all = PySequence_Fast_GET_SIZE(seq);
    if (layout->all > R_ALL) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_TypeError, "the record type has too many slots");
        return -1;
    }
    for (Py_ssize_t i = 0; i < layout->all; i++) {
        PyObject *descr = PyObject_GetAttr(type, PySequence_Fast_GET_ITEM(seq, i));
        int ok = descr != NULL && Py_IS_TYPE(descr, &PyMemberDescr_Type)
                 && ((PyMemberDescrObject *)descr)->d_member->type == T_OBJECT_EX;
        if (ok) {
            layout->all_offset[i] = ((PyMemberDescrObject *)descr)->d_member->offset;
        }
        Py_XDECREF(descr);
        if (!ok) {
            Py_DECREF(seq);
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError, "each of the record type's __slots__ must be a slot");
            }
            return -1;
        }
    }
    Py_DECREF(seq);
    layout->type = (PyTypeObject *)Py_NewRef(type);
    return 0;
}

#define SLOT(layout, record, i) (*(PyObject **)((char *)(record) + (layout)->offset[i]))

/* The slot's value (borrowed), or NULL with AttributeError if it is unset. */
static inline PyObject *
slot_get(RecordLayout *layout, PyObject *record, int i)
{
    PyObject *value = SLOT(layout, record, i);
    if (value == NULL) {
        PyErr_Format(PyExc_AttributeError, "%s", record_slots[i]);
    }
    return value;
}

/* Sets the slot to `value` (stolen; NULL: the error of making it is set). */
static inline int
slot_set(RecordLayout *layout, PyObject *record, int i, PyObject *value)
{
    if (value == NULL) {
        return -1;
    }
    Py_XSETREF(SLOT(layout, record, i), value);
    return 0;
}

/* slot += delta, for an int slot. */
static inline int
slot_add(RecordLayout *layout, PyObject *record, int i, long long delta)
{
    PyObject *value = slot_get(layout, record, i);
    if (value == NULL) {
        return -1;
    }
    long long old = PyLong_AsLongLong(value);
    if (old == -1 && PyErr_Occurred()) {
        return -1;
    }
    return slot_set(layout, record, i, PyLong_FromLongLong(old + delta));
}

/* -- a new record, as the prototype `record_type(0, "", "asyncio", None, 0)` is ------ */

enum { FRESH_SHARED, FRESH_DICT, FRESH_DEQUE };

typedef struct {
    PyObject *prototype;        /* a record made by `record_type.__init__`: the defaults */
    PyObject *deque_args;       /* ((), maxlen) of the prototype's deques */
    PyObject *deque_type;
    char kind[R_ALL];           /* per slot: shared, a dict copied, a new empty deque */
} RecordPrototype;

static int
prototype_init(RecordPrototype *proto, RecordLayout *layout)
{
    proto->prototype = PyObject_CallFunction((PyObject *)layout->type, "isssi", 0, "", "asyncio", NULL, 0);
    if (proto->prototype == NULL) {
        return -1;
    }
    PyObject *times = SLOT(layout, proto->prototype, R_POLL_TIMES);
    if (times == NULL) {
        PyErr_SetString(PyExc_TypeError, "the record's poll_times is unset");
        return -1;
    }
    proto->deque_type = Py_NewRef((PyObject *)Py_TYPE(times));
    PyObject *maxlen = PyObject_GetAttrString(times, "maxlen");
    if (maxlen == NULL) {
        return -1;
    }
    proto->deque_args = PyTuple_Pack(2, empty_tuple, maxlen);
    Py_DECREF(maxlen);
    if (proto->deque_args == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < layout->all; i++) {
        PyObject *value = *(PyObject **)((char *)proto->prototype + layout->all_offset[i]);
        if (value == NULL || PyList_Check(value) || PySet_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "a record's default is unset or a list or set");
            return -1;
        }
        proto->kind[i] = PyDict_CheckExact(value) ? FRESH_DICT
                         : (PyObject *)Py_TYPE(value) == proto->deque_type ? FRESH_DEQUE : FRESH_SHARED;
    }
    return 0;
}

static void
prototype_clear(RecordPrototype *proto)
{
    Py_CLEAR(proto->prototype);
    Py_CLEAR(proto->deque_args);
    Py_CLEAR(proto->deque_type);
}

/* A new record with the defaults of `TaskRecord.__init__` (its prototype's, its dicts copied
 * and its deques new), and these (stolen) for id, name, parent, created and key; NULL on error. */
static PyObject *
record_new(RecordLayout *layout, RecordPrototype *proto, PyObject *id, PyObject *name,
           PyObject *parent, PyObject *created, PyObject *key)
{
    PyObject *record = NULL;
    if (id == NULL || name == NULL || parent == NULL || created == NULL || key == NULL) {
        goto done;
    }
    record = layout->type->tp_alloc(layout->type, 0);
    if (record == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < layout->all; i++) {
        PyObject *value = *(PyObject **)((char *)proto->prototype + layout->all_offset[i]);
        if (proto->kind[i] == FRESH_DICT) {
            value = PyDict_Copy(value);
        }
        else if (proto->kind[i] == FRESH_DEQUE) {
            value = PyObject_Call(proto->deque_type, proto->deque_args, NULL);
            if (value != NULL && PyObject_GC_IsTracked(value)) {
                PyObject_GC_UnTrack(value);  /* (its times are ints: it is in no cycle) */
            }
        }
        else {
            Py_INCREF(value);
        }
        if (value == NULL) {
            Py_CLEAR(record);
            goto done;
        }
        *(PyObject **)((char *)record + layout->all_offset[i]) = value;
    }
    Py_XSETREF(SLOT(layout, record, R_ID), id);
    Py_XSETREF(SLOT(layout, record, R_NAME), name);
    Py_XSETREF(SLOT(layout, record, R_PARENT), parent);
    Py_XSETREF(SLOT(layout, record, R_CREATED), created);
    Py_XSETREF(SLOT(layout, record, R_KEY), key);
    return record;
  done:
    Py_XDECREF(id);
    Py_XDECREF(name);
    Py_XDECREF(parent);
    Py_XDECREF(created);
    Py_XDECREF(key);
    return record;
}

static PyTypeObject *append_type = NULL;  /* the type of the deques last appended to */
static PyObject *append_method = NULL;     /* its `append`, unbound */

static inline int
append_to(PyObject *deque, long long value)
{
    PyObject *number = PyLong_FromLongLong(value);
    if (number == NULL) {
        return -1;
    }
    if (Py_TYPE(deque) != append_type) {
        PyObject *method = _PyType_Lookup(Py_TYPE(deque), str_append);  /* (borrowed) */
        if (method == NULL) {
            Py_DECREF(number);
            PyErr_Format(PyExc_AttributeError, "%s has no append", Py_TYPE(deque)->tp_name);
            return -1;
        }
        Py_XSETREF(append_method, Py_NewRef(method));
        Py_XSETREF(append_type, (PyTypeObject *)Py_NewRef(Py_TYPE(deque)));
    }
    PyObject *args[2] = {deque, number};
    PyObject *done = PyObject_Vectorcall(append_method, args, 2, NULL);
    Py_DECREF(number);
    Py_XDECREF(done);
    return done == NULL ? -1 : 0;
}

/* The task a callback is a step of (borrowed through `*owner`, a new reference), when it
 * is one the hooks know: 1; 0 if not (for the Python path); -1 on error. */
static int
known_step(PyObject *callback, PyObject *task_classes, PyObject *step_types, PyObject **owner)
{
    *owner = NULL;
    if (PySet_Contains(step_types, (PyObject *)Py_TYPE(callback)) != 1) {
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *task = PyObject_GetAttr(callback, str_dunder_self);
    if (task == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
            return -1;
        }
        PyErr_Clear();
        return 0;
    }
    int known = PySet_Contains(task_classes, (PyObject *)Py_TYPE(task));
    if (known != 1) {
        Py_DECREF(task);
        return known;
    }
    *owner = task;
    return 1;
}


/* A hook stands in a class's dict for a method: bound as a function is. */
static PyObject *
hook_descr_get(PyObject *self, PyObject *obj, PyObject *Py_UNUSED(type))
{
    if (obj == NULL || obj == Py_None) {
        return Py_NewRef(self);
    }
    return PyMethod_New(self, obj);
}

/* -- StepHook: asyncio's Handle._run ---------------------------------------- */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *slow;           /* slow(handle): the whole Python hook, for what is not common */
    PyObject *finished;       /* finished(task, record, outer): the end of a task's last poll */
    PyObject *waits_of;       /* waits_of(record, leaf): what it waits on, for a leaf not in type_only */
    PyObject *handle_run;     /* the loop's own Handle._run */
    PyObject *task_classes;   /* {Task classes} */
    PyObject *step_types;     /* {types of a task's step callback} */
    PyObject *by_key;         /* id(task) -> record */
    PyObject *local;          /* threading.local: .task, the record being polled */
    PyObject *events;         /* the event ring (an EventRing, or anything with an append) */
    WalkerObject *walk;
    PyObject *type_only;      /* type(leaf) -> what it waits on, said by its type alone */
    PyObject *tasks;          /* the recorder's records by number */
    PyObject *done;           /* the recorder's deque of finished records */
    Py_ssize_t done_kept;     /* (its maxlen) */
    PyObject *timer_handle;   /* asyncio's TimerHandle */
    PyObject *io;             /* {id(handle)} of the handles I/O made ready */
    int executor;             /* the runtime executor's _poll(executor, task), not Handle._run */
    RecordLayout layout;
} StepHookObject;

/* A callback that is no task's step, run with `local.kind` saying who it is for the wakes it
 * makes: a timer, I/O or other (as `other_callback` in `_hooks._asyncio`). */
static PyObject *
step_other(StepHookObject *self, PyObject *handle)
{
    TaskSlotObject *slot = (TaskSlotObject *)self->local;
    PyObject *kind;
    int timer = PyObject_IsInstance(handle, self->timer_handle);
    if (timer < 0) {
        return NULL;
    }
    if (timer) {
        kind = str_kind_timer;
    }
    else {
        PyObject *key = PyLong_FromVoidPtr(handle);
        int was = key != NULL ? PySet_Discard(self->io, key) : -1;
        Py_XDECREF(key);
        if (was < 0) {
            return NULL;
        }
        kind = was ? str_kind_io : str_kind_other;
    }
    PyObject *outer = task_slot_get(slot, 1);
    if (outer == NULL || task_slot_set(slot, 1, kind) < 0) {
        Py_XDECREF(outer);
        return NULL;
    }
    PyObject *result = PyObject_CallOneArg(self->handle_run, handle);
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    int reset = task_slot_set(slot, 1, outer);
    Py_DECREF(outer);
    if (reset < 0) {
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        Py_XDECREF(result);
        return NULL;
    }
    PyErr_Restore(type, value, tb);
    return result;
}

/* Is `callback` no task's step, its `__self__` missing or None? 1 yes, 0 no (or not known). */
static int
no_owner(PyObject *callback)
{
    if (PyFunction_Check(callback)) {
        return 1;
    }
    if (PyMethod_Check(callback)) {
        return PyMethod_GET_SELF(callback) == Py_None;
    }
    if (PyCFunction_Check(callback)) {
        PyObject *owner = PyCFunction_GET_SELF(callback);
        return owner == NULL || owner == Py_None || PyModule_Check(owner);
    }
    return 0;
}

/* A poll's event in the ring (or whatever `events` is). */
static int
push_poll(PyObject *events, RecordLayout *layout, PyObject *record, long long start, long long end,
          PyObject *raw, PyObject *outcome, PyObject *waits)
{
    PyObject *id = slot_get(layout, record, R_ID);
    PyObject *flow = id != NULL ? slot_get(layout, record, R_FLOW) : NULL;
    if (flow == NULL) {
        return -1;
    }
    if (Py_IS_TYPE(events, &EventRingType)) {
        long long id_value = PyLong_AsLongLong(id), flow_value = PyLong_AsLongLong(flow);
        if (PyErr_Occurred()) {
            return -1;
        }
        return ring_push_poll((EventRingObject *)events, id_value, start, end, raw, outcome, waits,
                              flow_value);
    }
    PyObject *event = Py_BuildValue("(OOLLOOOO)", str_P, id, start, end, raw, outcome, waits, flow);
    PyObject *done = event != NULL ? PyObject_CallMethodOneArg(events, str_append, event) : NULL;
    Py_XDECREF(event);
    Py_XDECREF(done);
    return done != NULL ? 0 : -1;
}

/* The end of a task's last poll, when it returned (not cancelled, nothing raised) and opened no
 * span: as `Recorder.poll_end(record, outer, "ready")` retires its record. 1: done; 0: for the
 * Python hook (`finished`); -1: error. */
static int
step_ready(StepHookObject *self, PyObject *task, PyObject *record, PyObject *outer, long long start)
{
    RecordLayout *layout = &self->layout;
    if (SLOT(layout, record, R_SPANS) != empty_tuple) {
        return 0;
    }
    PyObject *said = PyObject_CallMethodNoArgs(task, str_cancelled);
    int cancelled = said == NULL ? -1 : PyObject_IsTrue(said);
    Py_XDECREF(said);
    if (cancelled != 0) {
        return cancelled < 0 ? -1 : 0;
    }
    PyObject *error = PyObject_GetAttr(task, str_exception_);
    if (error == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
            return -1;
        }
        PyErr_Clear();
    }
    else {
        Py_DECREF(error);
        if (error != Py_None) {
            return 0;
        }
    }
    long long end = now_ns();
    if (set_local_task(self->local, outer) < 0
        || slot_set(layout, record, R_RUNNING, Py_NewRef(zero)) < 0
        || slot_add(layout, record, R_BUSY, end - start) < 0) {
        return -1;
    }
    PyObject *times = slot_get(layout, record, R_POLL_TIMES);
    if (times == NULL || append_to(times, end - start) < 0 || slot_add(layout, record, R_POLLS, 1) < 0
        || slot_set(layout, record, R_END, PyLong_FromLongLong(end)) < 0
        || slot_set(layout, record, R_AWAITS, Py_NewRef(empty_tuple)) < 0) {
        return -1;
    }
    PyObject *key = slot_get(layout, record, R_KEY);
    if (key == NULL) {
        return -1;
    }
    if (PyDict_DelItem(self->by_key, key) < 0) {
        if (!PyErr_ExceptionMatches(PyExc_KeyError)) {
            return -1;
        }
        PyErr_Clear();
    }
    Py_ssize_t kept = PyObject_Length(self->done);
    if (kept < 0) {
        return -1;
    }
    if (kept == self->done_kept) {  /* (the oldest finished record is forgotten) */
        PyObject *oldest = PySequence_GetItem(self->done, 0);
        if (oldest == NULL) {
            return -1;
        }
        PyObject *id = PyObject_GetAttr(oldest, str_id);
        Py_DECREF(oldest);
        if (id == NULL) {
            return -1;
        }
        int gone = PyDict_DelItem(self->tasks, id);
        Py_DECREF(id);
        if (gone < 0) {
            if (!PyErr_ExceptionMatches(PyExc_KeyError)) {
                return -1;
            }
            PyErr_Clear();
        }
    }
    PyObject *appended = PyObject_CallMethodOneArg(self->done, str_append, record);
    if (appended == NULL) {
        return -1;
    }
    Py_DECREF(appended);
    PyObject *raw = SLOT(layout, record, R_RAW);
    if (raw == NULL || slot_set(layout, record, R_OBJ, Py_NewRef(Py_None)) < 0) {
        if (raw == NULL) {
            PyErr_SetString(PyExc_AttributeError, "raw");
        }
        return -1;
    }
    Py_INCREF(raw);
    int pushed = push_poll(self->events, layout, record, start, end, raw, str_ready, str_empty);
    Py_DECREF(raw);
    if (pushed < 0) {
        return -1;
    }
    if (slot_set(layout, record, R_FLOW, Py_NewRef(zero)) < 0) {
        return -1;
    }
    if (PyObject_GC_IsTracked(record)) {
        /* (what a finished record holds is no container that could hold it back: its chain,
         * numbers, its dict of counts and deques of times; no spans, no task) */
        PyObject_GC_UnTrack(record);
    }
    return 1;
}

/* The end of a poll the task is pending after (the fast path of `py_step_hook`). */
static int
step_pending(StepHookObject *self, PyObject *record, PyObject *outer, PyObject *coro, long long start)
{
    RecordLayout *layout = &self->layout;
    long long end = now_ns();
    if (set_local_task(self->local, outer) < 0
        || slot_set(layout, record, R_RUNNING, Py_NewRef(zero)) < 0
        || slot_add(layout, record, R_BUSY, end - start) < 0) {
        return -1;
    }
    PyObject *times = slot_get(layout, record, R_POLL_TIMES);
    if (times == NULL || append_to(times, end - start) < 0 || slot_add(layout, record, R_POLLS, 1) < 0) {
        return -1;
    }
    PyObject *leaf;
    PyObject *raw = walk_chain(self->walk, coro, NULL, SLOT(layout, record, R_RAW), &leaf);
    if (raw == NULL) {
        return -1;
    }
    PyObject *waits;
    int no_awaits = 1;  /* (nothing, or a plain future: it awaits no task) */
    if (leaf == NULL) {
        waits = Py_NewRef(Py_None);
    }
    else {
        waits = PyDict_GetItemWithError(self->type_only, (PyObject *)Py_TYPE(leaf));
        if (waits != NULL) {
            Py_INCREF(waits);
        }
        else if (!PyErr_Occurred()) {
            no_awaits = 0;
            waits = PyObject_CallFunctionObjArgs(self->waits_of, record, leaf, NULL);  /* (sets awaits) */
        }
        if (waits == NULL) {
            Py_DECREF(leaf);
            Py_DECREF(raw);
            return -1;
        }
    }
    if (no_awaits) {
        PyObject *awaits = SLOT(layout, record, R_AWAITS);
        if (awaits != empty_tuple) {
            int truth = awaits == NULL ? 1 : PyObject_IsTrue(awaits);
            if (truth != 0) {
                if (truth < 0) {
                    PyErr_Clear();
                }
                slot_set(layout, record, R_AWAITS, Py_NewRef(empty_tuple));
            }
        }
    }
    Py_XDECREF(leaf);
    slot_set(layout, record, R_WAITS, Py_NewRef(waits));
    slot_set(layout, record, R_RAW, Py_NewRef(raw));
    PyObject *id = slot_get(layout, record, R_ID);
    PyObject *flow = id != NULL ? slot_get(layout, record, R_FLOW) : NULL;
    int kept = -1;
    if (flow != NULL) {
        if (Py_IS_TYPE(self->events, &EventRingType)) {
            long long id_value = PyLong_AsLongLong(id), flow_value = PyLong_AsLongLong(flow);
            if (!PyErr_Occurred()) {
                kept = ring_push_poll((EventRingObject *)self->events, id_value, start, end, raw,
                                      str_pending, waits, flow_value);
            }
        }
        else {
            PyObject *event = Py_BuildValue("(OOLLOOOO)", str_P, id, start, end, raw, str_pending,
                                            waits, flow);
            PyObject *done = event != NULL ? PyObject_CallMethodOneArg(self->events, str_append, event) : NULL;
            Py_XDECREF(event);
            kept = done != NULL ? 0 : -1;
            Py_XDECREF(done);
        }
    }
    Py_DECREF(waits);
    Py_DECREF(raw);
    if (kept < 0) {
        return -1;
    }
    return slot_set(layout, record, R_FLOW, Py_NewRef(zero));
}

/* The executor's _poll(executor, task) (the fast path of `_hooks.py_poll_hook`): a poll of a
 * task polled before; its first poll, its last, and anything else by `slow`. */
static PyObject *
executor_poll_call(StepHookObject *self, PyObject *const *args, size_t nargsf)
{
    RecordLayout *layout = &self->layout;
    PyObject *task = args[1];
    PyObject *key = PyLong_FromVoidPtr(task);
    PyObject *record = key != NULL ? PyDict_GetItemWithError(self->by_key, key) : NULL;  /* (borrowed) */
    Py_XDECREF(key);
    if (record == NULL || Py_TYPE(record) != layout->type || SLOT(layout, record, R_POLLS) == NULL
        || SLOT(layout, record, R_POLLS) == zero) {
        return PyErr_Occurred() ? NULL : PyObject_Vectorcall(self->slow, args, nargsf, NULL);
    }
    Py_INCREF(record);
    PyObject *outer = NULL;
    PyObject *future = PyObject_GetAttr(task, str_future);
    if (future == NULL) {
        goto error;
    }
    outer = local_task(self->local);
    if (outer == NULL || set_local_task(self->local, record) < 0) {
        goto error;
    }
    long long start = now_ns();
    if (slot_set(layout, record, R_RUNNING, PyLong_FromLongLong(start)) < 0) {
        goto error;
    }
    PyObject *woken = slot_get(layout, record, R_WOKEN_AT);
    if (woken == NULL) {
        goto error;
    }
    if (woken != Py_None) {
        long long at = PyLong_AsLongLong(woken);
        PyObject *times = slot_get(layout, record, R_SCHED_TIMES);
        if ((at == -1 && PyErr_Occurred()) || times == NULL
            || slot_add(layout, record, R_SCHED, start - at) < 0 || append_to(times, start - at) < 0
            || slot_set(layout, record, R_WOKEN_AT, Py_NewRef(Py_None)) < 0) {
            goto error;
        }
    }
    PyObject *result = PyObject_Vectorcall(self->handle_run, args, nargsf, NULL);
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyObject *is_done = PyObject_GetAttr(task, str_done);
    int ended = is_done == NULL ? -1 : PyObject_IsTrue(is_done);
    Py_XDECREF(is_done);
    int ok;
    if (ended > 0) {
        PyObject *said = PyObject_CallFunctionObjArgs(self->finished, task, record, outer, NULL);
        ok = said != NULL;
        Py_XDECREF(said);
    }
    else {
        ok = ended == 0 && step_pending(self, record, outer, future, start) == 0;
    }
    Py_DECREF(record);
    Py_DECREF(future);
    Py_DECREF(outer);
    if (!ok) {
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        Py_XDECREF(result);
        return NULL;
    }
    PyErr_Restore(type, value, tb);
    return result;
  error:
    Py_DECREF(record);
    Py_XDECREF(future);
    Py_XDECREF(outer);
    return NULL;
}

static PyObject *
step_hook_call(StepHookObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (self->executor) {
        if (nargs != 2 || kwnames != NULL) {
            return PyObject_Vectorcall(self->slow, args, nargsf, kwnames);
        }
        return executor_poll_call(self, args, nargsf);
    }
    if (nargs != 1 || kwnames != NULL) {
        return PyObject_Vectorcall(self->slow, args, nargsf, kwnames);
    }
    PyObject *handle = args[0];
    RecordLayout *layout = &self->layout;
    PyObject *callback = PyObject_GetAttr(handle, str_callback);
    if (callback == NULL) {
        return NULL;
    }
    PyObject *task;
    int known = known_step(callback, self->task_classes, self->step_types, &task);
    Py_DECREF(callback);  /* (the handle holds it) */
    if (known <= 0) {
        if (known == 0 && Py_IS_TYPE(self->local, &TaskSlotType) && no_owner(callback)) {
            return step_other(self, handle);
        }
        return known < 0 ? NULL : PyObject_CallOneArg(self->slow, handle);
    }
    PyObject *key = PyLong_FromVoidPtr(task);
    PyObject *record = key != NULL ? PyDict_GetItemWithError(self->by_key, key) : NULL;  /* (borrowed) */
    Py_XDECREF(key);
    if (record == NULL || Py_TYPE(record) != layout->type || SLOT(layout, record, R_POLLS) == NULL) {
        Py_DECREF(task);
        return PyErr_Occurred() ? NULL : PyObject_CallOneArg(self->slow, handle);
    }
    Py_INCREF(record);
    PyObject *outer = NULL;
    PyObject *coro = PyObject_CallMethodNoArgs(task, str_get_coro);
    if (coro == NULL) {
        goto error;
    }
    if (SLOT(layout, record, R_POLLS) == zero) {
        /* its first poll: its name (set after its first scheduling), and where it starts */
        PyObject *raw = SLOT(layout, record, R_RAW);
        if (slot_set(layout, record, R_NAME, PyObject_CallMethodNoArgs(task, str_get_name)) < 0
            || raw == NULL) {
            goto error;
        }
        if (raw == empty_tuple || PyObject_Not(raw) == 1) {
            PyObject *leaf;
            raw = walk_chain(self->walk, coro, NULL, NULL, &leaf);
            Py_XDECREF(leaf);
            if (slot_set(layout, record, R_RAW, raw) < 0) {
                goto error;
            }
        }
    }
    outer = local_task(self->local);
    if (outer == NULL || set_local_task(self->local, record) < 0) {
        goto error;
    }
    long long start = now_ns();
    if (slot_set(layout, record, R_RUNNING, PyLong_FromLongLong(start)) < 0) {
        goto error;
    }
    PyObject *woken = slot_get(layout, record, R_WOKEN_AT);
    if (woken == NULL) {
        goto error;
    }
    if (woken != Py_None) {
        long long at = PyLong_AsLongLong(woken);
        PyObject *times = slot_get(layout, record, R_SCHED_TIMES);
        if ((at == -1 && PyErr_Occurred()) || times == NULL
            || slot_add(layout, record, R_SCHED, start - at) < 0 || append_to(times, start - at) < 0
            || slot_set(layout, record, R_WOKEN_AT, Py_NewRef(Py_None)) < 0) {
            goto error;
        }
    }
    PyObject *result = PyObject_CallOneArg(self->handle_run, handle);
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyObject *is_done = PyObject_CallMethodNoArgs(task, str_done);
    int ended = is_done == NULL ? -1 : PyObject_IsTrue(is_done);
    Py_XDECREF(is_done);
    int ok;
    if (ended > 0) {
        int retired = step_ready(self, task, record, outer, start);
        ok = retired > 0;
        if (retired == 0) {
            PyObject *said = PyObject_CallFunctionObjArgs(self->finished, task, record, outer, NULL);
            ok = said != NULL;
            Py_XDECREF(said);
        }
    }
    else {
        ok = ended == 0 && step_pending(self, record, outer, coro, start) == 0;
    }
    Py_DECREF(record);
    Py_DECREF(task);
    Py_DECREF(coro);
    Py_DECREF(outer);
    if (!ok) {  /* (as an exception in a `finally:` replaces the one it runs for) */
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        Py_XDECREF(result);
        return NULL;
    }
    PyErr_Restore(type, value, tb);
    return result;
  error:
    Py_DECREF(record);
    Py_DECREF(task);
    Py_XDECREF(coro);
    Py_XDECREF(outer);
    return NULL;
}

static PyObject *
step_hook_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *slow, *finished, *waits_of, *handle_run, *task_classes, *step_types, *by_key, *local;
    PyObject *events, *walk, *type_only, *record_type, *recorder, *timer_handle, *io;
    int executor = 0;
    static char *kwlist[] = {"slow", "finished", "waits_of", "handle_run", "task_classes",
                             "step_types", "by_key", "local", "events", "walk",
                             "type_only", "record_type", "recorder", "timer_handle", "io",
                             "executor", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOO!O!O!OOO!O!OOO!O!|p:StepHook", kwlist, &slow,
                                     &finished, &waits_of, &handle_run, &PySet_Type, &task_classes,
                                     &PySet_Type, &step_types, &PyDict_Type, &by_key, &local,
                                     &events, &WalkerType, &walk, &PyDict_Type, &type_only,
                                     &record_type, &recorder, &PyType_Type, &timer_handle,
                                     &PySet_Type, &io, &executor)) {
        return NULL;
    }
    StepHookObject *self = (StepHookObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = (vectorcallfunc)step_hook_call;
    self->slow = Py_NewRef(slow);
    self->finished = Py_NewRef(finished);
    self->waits_of = Py_NewRef(waits_of);
    self->handle_run = Py_NewRef(handle_run);
    self->task_classes = Py_NewRef(task_classes);
    self->step_types = Py_NewRef(step_types);
    self->by_key = Py_NewRef(by_key);
    self->local = Py_NewRef(local);
    self->events = Py_NewRef(events);
    self->walk = (WalkerObject *)Py_NewRef(walk);
    self->type_only = Py_NewRef(type_only);
    self->executor = executor;
    self->timer_handle = Py_NewRef(timer_handle);
    self->io = Py_NewRef(io);
    self->tasks = PyObject_GetAttrString(recorder, "tasks");
    self->done = self->tasks != NULL ? PyObject_GetAttrString(recorder, "done") : NULL;
    PyObject *maxlen = self->done != NULL ? PyObject_GetAttrString(self->done, "maxlen") : NULL;
    self->done_kept = maxlen == NULL ? -1 : maxlen == Py_None ? PY_SSIZE_T_MAX : PyLong_AsSsize_t(maxlen);
    Py_XDECREF(maxlen);
    if (self->done_kept == -1 || !PyDict_CheckExact(self->tasks)) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "the recorder's tasks must be a dict, its done a deque");
        }
        Py_DECREF(self);
        return NULL;
    }
    if (layout_init(&self->layout, record_type) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
step_hook_traverse(StepHookObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->slow);
    Py_VISIT(self->finished);
    Py_VISIT(self->waits_of);
    Py_VISIT(self->handle_run);
    Py_VISIT(self->task_classes);
    Py_VISIT(self->step_types);
    Py_VISIT(self->by_key);
    Py_VISIT(self->local);
    Py_VISIT(self->events);
    Py_VISIT(self->walk);
    Py_VISIT(self->type_only);
    Py_VISIT(self->tasks);
    Py_VISIT(self->done);
    Py_VISIT(self->timer_handle);
    Py_VISIT(self->io);
    Py_VISIT(self->layout.type);
    return 0;
}

static int
step_hook_clear(StepHookObject *self)
{
    Py_CLEAR(self->slow);
    Py_CLEAR(self->finished);
    Py_CLEAR(self->waits_of);
    Py_CLEAR(self->handle_run);
    Py_CLEAR(self->task_classes);
    Py_CLEAR(self->step_types);
    Py_CLEAR(self->by_key);
    Py_CLEAR(self->local);
    Py_CLEAR(self->events);
    Py_CLEAR(self->walk);
    Py_CLEAR(self->type_only);
    Py_CLEAR(self->tasks);
    Py_CLEAR(self->done);
    Py_CLEAR(self->timer_handle);
    Py_CLEAR(self->io);
    Py_CLEAR(self->layout.type);
    return 0;
}

static void
step_hook_dealloc(StepHookObject *self)
{
    PyObject_GC_UnTrack(self);
    step_hook_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject StepHookType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "desugar.runtime._speedups.StepHook",
    .tp_basicsize = sizeof(StepHookObject),
    .tp_dealloc = (destructor)step_hook_dealloc,
    .tp_vectorcall_offset = offsetof(StepHookObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_descr_get = hook_descr_get,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL
                | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_doc = "asyncio's Handle._run while recording polls (see desugar.trace._hooks.py_step_hook).",
    .tp_traverse = (traverseproc)step_hook_traverse,
    .tp_clear = (inquiry)step_hook_clear,
    .tp_new = step_hook_new,
};

/* -- WakeHook: asyncio's BaseEventLoop._call_soon ----------------------------- */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *slow;           /* slow(loop, callback, args, context): the whole Python hook */
    PyObject *record_of;      /* record_of(task): a task's record, made for a new task */
    PyObject *call_soon;      /* the loop's own _call_soon */
    PyObject *task_classes;
    PyObject *step_types;
    PyObject *by_key;
    PyObject *local;
    PyObject *events;         /* the event ring */
    PyObject *recorder;       /* its .flows: the flow ids; .ids, .driver and .tasks: for a new task */
    PyObject *tasks;          /* the recorder's records by number */
    int executor;             /* the runtime executor's _schedule(executor, task), not _call_soon */
    RecordLayout layout;
    RecordPrototype proto;
} WakeHookObject;

/* The record of a task a task (`waker`) scheduled first: as `Recorder.task` makes it (when
 * not linting); a new reference, NULL on error. */
static PyObject *
wake_new_record(WakeHookObject *self, PyObject *task, PyObject *waker)
{
    RecordLayout *layout = &self->layout;
    PyObject *ids = PyObject_GetAttr(self->recorder, str_ids);
    long long last = ids != NULL ? PyLong_AsLongLong(ids) : -1;
    Py_XDECREF(ids);
    if (last == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *id = PyLong_FromLongLong(last + 1);
    if (id == NULL || PyObject_SetAttr(self->recorder, str_ids, id) < 0) {
        Py_XDECREF(id);
        return NULL;
    }
    PyObject *parent = slot_get(layout, waker, R_ID);
    if (parent == NULL) {
        Py_DECREF(id);
        return NULL;
    }
    PyObject *record = record_new(layout, &self->proto, id, PyObject_CallMethodNoArgs(task, str_get_name),
                                  Py_NewRef(parent), PyLong_FromLongLong(now_ns()), PyLong_FromVoidPtr(task));
    if (record == NULL) {
        return NULL;
    }
    if (PyDict_SetItem(self->tasks, SLOT(layout, record, R_ID), record) < 0
        || PyDict_SetItem(self->by_key, SLOT(layout, record, R_KEY), record) < 0
        || PyObject_SetAttr(self->recorder, str_driver, SLOT(layout, record, R_DRIVER)) < 0) {
        Py_DECREF(record);
        return NULL;
    }
    return record;
}

/* A task wakes the task `record` (the fast path of `py_wake_hook`). */
static int
wake_by_task(WakeHookObject *self, PyObject *record, PyObject *waker)
{
    RecordLayout *layout = &self->layout;
    PyObject *kind = waker == record ? str_kind_self : str_kind_task;
    PyObject *woken = slot_get(layout, record, R_WOKEN);
    if (woken == NULL) {
        return -1;
    }
    PyObject *count = PyDict_GetItemWithError(woken, kind);  /* (borrowed) */
    long long was = count != NULL ? PyLong_AsLongLong(count) : 0;
    if (PyErr_Occurred()) {
        return -1;
    }
    PyObject *now_count = PyLong_FromLongLong(was + 1);
    int set = now_count != NULL ? PyDict_SetItem(woken, kind, now_count) : -1;
    Py_XDECREF(now_count);
    if (set < 0 || slot_add(layout, record, R_WAKES, 1) < 0) {
        return -1;
    }
    long long at = now_ns();
    PyObject *woken_at = slot_get(layout, record, R_WOKEN_AT);
    if (woken_at == NULL || (woken_at == Py_None
                             && slot_set(layout, record, R_WOKEN_AT, PyLong_FromLongLong(at)) < 0)) {
        return -1;
    }
    PyObject *flows = PyObject_GetAttr(self->recorder, str_flows);
    if (flows == NULL) {
        return -1;
    }
    long long last = PyLong_AsLongLong(flows);
    Py_DECREF(flows);
    if (last == -1 && PyErr_Occurred()) {
        return -1;
    }
    PyObject *flow = PyLong_FromLongLong(last + 1);
    if (flow == NULL || PyObject_SetAttr(self->recorder, str_flows, flow) < 0
        || slot_set(layout, record, R_FLOW, Py_NewRef(flow)) < 0) {
        Py_XDECREF(flow);
        return -1;
    }
    PyObject *id = slot_get(layout, waker, R_ID);
    int kept = -1;
    if (id != NULL && Py_IS_TYPE(self->events, &EventRingType)) {
        long long id_value = PyLong_AsLongLong(id);
        if (!PyErr_Occurred()) {
            kept = ring_push_wake((EventRingObject *)self->events, id_value, at, last + 1, kind);
        }
    }
    else if (id != NULL) {
        PyObject *event = Py_BuildValue("(OOLOO)", str_W, id, at, flow, kind);
        PyObject *done = event != NULL ? PyObject_CallMethodOneArg(self->events, str_append, event) : NULL;
        Py_XDECREF(event);
        kept = done != NULL ? 0 : -1;
        Py_XDECREF(done);
    }
    Py_DECREF(flow);
    return kept;
}

/* Is `task.name` (an attribute) false? 1 yes, 0 no, -1 error. */
static int
attr_false(PyObject *task, PyObject *name)
{
    PyObject *value = PyObject_GetAttr(task, name);
    if (value == NULL) {
        return -1;
    }
    int truth = PyObject_IsTrue(value);
    Py_DECREF(value);
    return truth < 0 ? -1 : !truth;
}

/* The executor's _schedule(executor, task) (the fast path of `_hooks.py_schedule_hook`): a
 * pending task not scheduled yet, with a record, woken by a task; the rest by `slow`. */
static PyObject *
executor_schedule_call(WakeHookObject *self, PyObject *const *args, size_t nargsf)
{
    RecordLayout *layout = &self->layout;
    PyObject *task = args[1];
    int pending = attr_false(task, str_done);
    int unscheduled = pending > 0 ? attr_false(task, str_scheduled) : pending;
    if (unscheduled < 0) {
        return NULL;
    }
    if (unscheduled) {
        PyObject *waker = local_task(self->local);
        if (waker == NULL) {
            return NULL;
        }
        if (Py_TYPE(waker) == layout->type) {
            PyObject *key = PyLong_FromVoidPtr(task);
            PyObject *record = key != NULL ? PyDict_GetItemWithError(self->by_key, key) : NULL;
            Py_XDECREF(key);
            if (record == NULL && PyErr_Occurred()) {
                Py_DECREF(waker);
                return NULL;
            }
            if (record != NULL && Py_TYPE(record) == layout->type
                && SLOT(layout, record, R_END) == Py_None) {
                Py_INCREF(record);
                int failed = wake_by_task(self, record, waker);
                Py_DECREF(record);
                Py_DECREF(waker);
                if (failed) {
                    return NULL;
                }
                return PyObject_Vectorcall(self->call_soon, args, nargsf, NULL);
            }
        }
        Py_DECREF(waker);
    }
    return PyObject_Vectorcall(self->slow, args, nargsf, NULL);
}

static PyObject *
wake_hook_call(WakeHookObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (self->executor) {
        if (nargs != 2 || kwnames != NULL) {
            return PyObject_Vectorcall(self->slow, args, nargsf, kwnames);
        }
        return executor_schedule_call(self, args, nargsf);
    }
    if (nargs != 4 || kwnames != NULL) {
        return PyObject_Vectorcall(self->slow, args, nargsf, kwnames);
    }
    PyObject *task;
    int known = known_step(args[1], self->task_classes, self->step_types, &task);
    if (known < 0) {
        return NULL;
    }
    if (known) {
        RecordLayout *layout = &self->layout;
        Py_DECREF(task);  /* (the callback holds it) */
        PyObject *waker = local_task(self->local);
        if (waker == NULL) {
            return NULL;
        }
        if (Py_TYPE(waker) == layout->type) {  /* (woken by a task) */
            PyObject *key = PyLong_FromVoidPtr(task);
            PyObject *record = key != NULL ? PyDict_GetItemWithError(self->by_key, key) : NULL;
            Py_XDECREF(key);
            if (record != NULL) {
                Py_INCREF(record);
            }
            else if (!PyErr_Occurred()) {  /* (a new task: its record) */
                record = wake_new_record(self, task, waker);
            }
            if (record == NULL) {
                Py_DECREF(waker);
                return NULL;
            }
            if (Py_TYPE(record) == layout->type && SLOT(layout, record, R_END) == Py_None) {
                int failed = wake_by_task(self, record, waker);
                Py_DECREF(record);
                Py_DECREF(waker);
                if (failed) {
                    return NULL;
                }
                return PyObject_Vectorcall(self->call_soon, args, nargsf, NULL);
            }
            Py_DECREF(record);
        }
        Py_DECREF(waker);
    }
    else {  /* (a callback whose __self__ is missing or None is no task's step) */
        PyObject *owner = PyObject_GetAttr(args[1], str_dunder_self);
        if (owner == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
                return NULL;
            }
            PyErr_Clear();
        }
        int nobody = owner == NULL || owner == Py_None;
        Py_XDECREF(owner);
        if (nobody) {
            return PyObject_Vectorcall(self->call_soon, args, nargsf, NULL);
        }
    }
    return PyObject_Vectorcall(self->slow, args, nargsf, NULL);
}

static PyObject *
wake_hook_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *slow, *record_of, *call_soon, *task_classes, *step_types, *by_key, *local, *events;
    PyObject *recorder, *record_type;
    int executor = 0;
    static char *kwlist[] = {"slow", "record_of", "call_soon", "task_classes", "step_types", "by_key", "local",
                             "events", "recorder", "record_type", "executor", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOO!O!O!OOOO|p:WakeHook", kwlist, &slow, &record_of, &call_soon,
                                     &PySet_Type, &task_classes, &PySet_Type, &step_types,
                                     &PyDict_Type, &by_key, &local, &events, &recorder,
                                     &record_type, &executor)) {
        return NULL;
    }
    WakeHookObject *self = (WakeHookObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = (vectorcallfunc)wake_hook_call;
    self->slow = Py_NewRef(slow);
    self->record_of = Py_NewRef(record_of);
    self->call_soon = Py_NewRef(call_soon);
    self->task_classes = Py_NewRef(task_classes);
    self->step_types = Py_NewRef(step_types);
    self->by_key = Py_NewRef(by_key);
    self->local = Py_NewRef(local);
    self->events = Py_NewRef(events);
    self->recorder = Py_NewRef(recorder);
    self->executor = executor;
    self->tasks = PyObject_GetAttrString(recorder, "tasks");
    if (self->tasks == NULL || !PyDict_CheckExact(self->tasks)) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "the recorder's tasks must be a dict");
        }
        Py_DECREF(self);
        return NULL;
    }
    if (layout_init(&self->layout, record_type) < 0 || prototype_init(&self->proto, &self->layout) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
wake_hook_traverse(WakeHookObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->slow);
    Py_VISIT(self->record_of);
    Py_VISIT(self->call_soon);
    Py_VISIT(self->task_classes);
    Py_VISIT(self->step_types);
    Py_VISIT(self->by_key);
    Py_VISIT(self->local);
    Py_VISIT(self->events);
    Py_VISIT(self->recorder);
    Py_VISIT(self->tasks);
    Py_VISIT(self->layout.type);
    Py_VISIT(self->proto.prototype);
    Py_VISIT(self->proto.deque_args);
    Py_VISIT(self->proto.deque_type);
    return 0;
}

static int
wake_hook_clear(WakeHookObject *self)
{
    Py_CLEAR(self->slow);
    Py_CLEAR(self->record_of);
    Py_CLEAR(self->call_soon);
    Py_CLEAR(self->task_classes);
    Py_CLEAR(self->step_types);
    Py_CLEAR(self->by_key);
    Py_CLEAR(self->local);
    Py_CLEAR(self->events);
    Py_CLEAR(self->recorder);
    Py_CLEAR(self->tasks);
    Py_CLEAR(self->layout.type);
    prototype_clear(&self->proto);
    return 0;
}

static void
wake_hook_dealloc(WakeHookObject *self)
{
    PyObject_GC_UnTrack(self);
    wake_hook_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject WakeHookType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "desugar.runtime._speedups.WakeHook",
    .tp_basicsize = sizeof(WakeHookObject),
    .tp_dealloc = (destructor)wake_hook_dealloc,
    .tp_vectorcall_offset = offsetof(WakeHookObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_descr_get = hook_descr_get,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL
                | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_doc = "asyncio's BaseEventLoop._call_soon while recording (see desugar.trace._hooks.py_wake_hook).",
    .tp_traverse = (traverseproc)wake_hook_traverse,
    .tp_clear = (inquiry)wake_hook_clear,
    .tp_new = wake_hook_new,
};

static int
trace_init(PyObject *module)
{
    if (str_get == NULL) {
#define INTERN(var, text) if ((var = PyUnicode_InternFromString(text)) == NULL) return -1
        INTERN(str_get, "get");
        INTERN(str_self, "self");
        INTERN(str_f_locals, "f_locals");
        INTERN(str_awaited, "awaited");
        INTERN(str_callback, "_callback");
        INTERN(str_dunder_self, "__self__");
        INTERN(str_get_coro, "get_coro");
        INTERN(str_get_name, "get_name");
        INTERN(str_done, "done");
        INTERN(str_task, "task");
        INTERN(str_kind, "kind");
        INTERN(str_append, "append");
        INTERN(str_flows, "flows");
        INTERN(str_P, "P");
        INTERN(str_W, "W");
        INTERN(str_pending, "pending");
        INTERN(str_kind_self, "self");
        INTERN(str_kind_task, "task");
        INTERN(str_ids, "ids");
        INTERN(str_future, "future");
        INTERN(str_scheduled, "scheduled");
        INTERN(str_kind_timer, "timer");
        INTERN(str_kind_io, "io");
        INTERN(str_kind_other, "other");
        INTERN(str_id, "id");
        INTERN(str_driver, "driver");
        INTERN(str_ready, "ready");
        INTERN(str_empty, "");
        INTERN(str_cancelled, "cancelled");
        INTERN(str_exception_, "_exception");
#undef INTERN
        if ((empty_tuple = PyTuple_New(0)) == NULL || (zero = PyLong_FromLong(0)) == NULL) {
            return -1;
        }
        if (attr_init(&cr_frame_attr, &PyCoro_Type, "cr_frame") < 0
            || attr_init(&cr_await_attr, &PyCoro_Type, "cr_await") < 0
            || attr_init(&gi_frame_attr, &PyGen_Type, "gi_frame") < 0
            || attr_init(&gi_yieldfrom_attr, &PyGen_Type, "gi_yieldfrom") < 0
            || attr_init(&ag_frame_attr, &PyAsyncGen_Type, "ag_frame") < 0
            || attr_init(&ag_await_attr, &PyAsyncGen_Type, "ag_await") < 0) {
            return -1;
        }
    }
    if (PyType_Ready(&WalkerType) < 0 || PyType_Ready(&StepHookType) < 0 || PyType_Ready(&WakeHookType) < 0
        || PyType_Ready(&EventRingType) < 0 || PyType_Ready(&TaskSlotType) < 0) {
        return -1;
    }
    if (PyModule_AddObjectRef(module, "Walker", (PyObject *)&WalkerType) < 0
        || PyModule_AddObjectRef(module, "StepHook", (PyObject *)&StepHookType) < 0
        || PyModule_AddObjectRef(module, "WakeHook", (PyObject *)&WakeHookType) < 0
        || PyModule_AddObjectRef(module, "EventRing", (PyObject *)&EventRingType) < 0
        || PyModule_AddObjectRef(module, "TaskSlot", (PyObject *)&TaskSlotType) < 0) {
        return -1;
    }
    return 0;
}

static PyMethodDef module_methods[] = {
    {"anext", anext_, METH_O, "`async for`'s step: the awaitee of `type(it).__anext__(it)`."},
    {"async_for", async_for, METH_O, "`async for`'s first step: the stream of `type(obj).__aiter__(obj)`."},
    {"type_lookup", (PyCFunction)(void (*)(void))type_lookup, METH_FASTCALL,
     "type_lookup(cls, name, missing): `name` along `cls`'s MRO, unbound (`_PyType_Lookup`), or `missing`."},
    {"into_iter", into_iter, METH_O, "`IntoIterator::into_iter`: the iterator a `for` takes of its iterable."},
    {"enable_agen_steps", enable_agen_steps, METH_VARARGS,
     "enable_agen_steps(probe1, probe2): step async generators without StopIteration, if the layout checks."},
    {"async_fn", async_fn, METH_O,
     "Decorator for a translated `async def`: a function whose call returns a real coroutine."},
    {"into_future", into_future, METH_O,
     "`IntoFuture::into_future`: the awaitee that an `await obj` polls."},
    {"frameless", frameless, METH_O,
     "frameless(fn): `fn` called through C, which takes the runtime's entries off the top of the "
     "traceback of what it raises (3.10's protocol steps written in Python)."},
    {"awaitable", awaitable, METH_O,
     "What the `yield-from` style's `yield from` steps: a coroutine as it is, else its awaitee."},
    {NULL}
};

/* ---- the module ----------------------------------------------------------- */

/* `name` of `module` into `*slot` (a new reference); -1 with the error set. */
static int
fetch(PyObject *module, const char *name, PyObject **slot)
{
    PyObject *value = PyObject_GetAttrString(module, name);
    if (value == NULL) {
        return -1;
    }
    Py_XSETREF(*slot, value);
    return 0;
}

/* The Python side's helpers, imported as `_asyncio` imports `asyncio`'s: at
 * the end of `_awaitee.py`, which imports this module when each of them is
 * defined (so the module is half imported here, as `asyncio.tasks` is when it
 * imports `_asyncio`). A module of other sources than this build (another
 * C_API) keeps only its constant: `_awaitee._load_speedups` refuses it. */
static int
import_helpers(void)
{
    PyObject *awaitee = PyImport_ImportModule("desugar.runtime._awaitee");
    if (awaitee == NULL) {
        return -1;
    }
    PyObject *api = PyObject_GetAttrString(awaitee, "C_API");
    long version = api != NULL && PyLong_Check(api) ? PyLong_AsLong(api) : -1;
    Py_XDECREF(api);
    PyErr_Clear();
    if (version != DESUGAR_C_API) {
        Py_DECREF(awaitee);
        return 0;
    }
    PyObject *reference = NULL;  /* PyAwaitee: its poll and repr */
    int ok = (fetch(awaitee, "Ready", &Ready) == 0
              && fetch(awaitee, "Pending", &PendingMarker) == 0
              && fetch(awaitee, "_EMPTY", &Empty) == 0
              && fetch(awaitee, "py_into_future", &py_into_future) == 0
              && fetch(awaitee, "_exception", &py_exception) == 0
              && fetch(awaitee, "_suspended", &py_suspended) == 0
              && fetch(awaitee, "_inspect", &py_inspect) == 0
              && fetch(awaitee, "py_async_fn", &py_async_fn) == 0
              && fetch(awaitee, "_flagged", &flagged) == 0
              && fetch(awaitee, "PyAwaitee", &reference) == 0
              && fetch(reference, "poll", &py_poll) == 0
              && fetch(reference, "__repr__", &py_repr) == 0);
    Py_XDECREF(reference);
    Py_DECREF(awaitee);
    if (ok && !PyDict_Check(flagged)) {
        PyErr_SetString(PyExc_TypeError, "desugar.runtime._awaitee._flagged must be a dict");
        ok = 0;
    }
    return ok ? 0 : -1;
}

static int
module_exec(PyObject *module)
{
#if PY_VERSION_HEX >= 0x030D0000 && PY_VERSION_HEX < 0x030E0000
    set_function_version = (set_version_t)dlsym(RTLD_DEFAULT, "_PyFunction_SetVersion");
#endif
    if (PyType_Ready(&AwaiteeType) < 0 || PyType_Ready(&AsyncForType) < 0
        || PyType_Ready(&FramelessType) < 0) {
        return -1;
    }
    if (runtime_prefix == NULL) {  /* this module's package, with the dot: its modules' prefix */
        PyObject *name = PyModule_GetNameObject(module);
        Py_ssize_t dot = name != NULL ? PyUnicode_FindChar(name, '.', 0, PY_SSIZE_T_MAX, -1) : -2;
        if (dot < -1) {
            Py_XDECREF(name);
            return -1;
        }
        runtime_prefix = PyUnicode_Substring(name, 0, dot + 1);
        Py_DECREF(name);
        if (runtime_prefix == NULL) {
            return -1;
        }
    }
    if (str_throw == NULL) {
        str_throw = PyUnicode_InternFromString("throw");
        str_close = PyUnicode_InternFromString("close");
        str_value = PyUnicode_InternFromString("value");
        if (str_throw == NULL || str_close == NULL || str_value == NULL) {
            return -1;
        }
    }
    /* coroutine.cr_suspended (3.11+): its C getter, called directly */
    PyObject *descr = PyObject_GetAttrString((PyObject *)&PyCoro_Type, "cr_suspended");
    if (descr == NULL) {
        PyErr_Clear();  /* 3.10: `_suspended` in Python reads the frame */
    }
    else {
        if (Py_IS_TYPE(descr, &PyGetSetDescr_Type)) {
            cr_suspended = ((PyGetSetDescrObject *)descr)->d_getset->get;
        }
        Py_DECREF(descr);  /* (the type keeps it alive) */
    }
    Py_INCREF(&AwaiteeType);
    if (PyModule_AddObject(module, "Awaitee", (PyObject *)&AwaiteeType) < 0) {
        Py_DECREF(&AwaiteeType);
        return -1;
    }
    /* What the Python side (_awaitee.py's C_API) expects: raise it with any change of what
       this module offers or imports, so a build older than the sources is refused, not half used. */
    if (PyModule_AddIntConstant(module, "C_API", DESUGAR_C_API) < 0 || trace_init(module) < 0) {
        return -1;
    }
    return import_helpers();
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
#ifdef Py_mod_multiple_interpreters
    /* (the helpers and the free list are per process) */
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "desugar.runtime._speedups",
    .m_doc = "The runtime's hot path in C (see desugar/runtime/_speedups.c).",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&module_def);
}
