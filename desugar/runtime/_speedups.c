/* The runtime's hot path in C: the awaitee an `await` polls, `into_future`,
 * `async for`'s step (`anext`), and `async_fn`.
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

#define DESUGAR_C_API 3  /* see module_exec */
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

static PyObject *
reused(void)
{
    PyErr_SetString(PyExc_RuntimeError,
                    "cannot reuse already awaited awaitable (`async fn` resumed after "
                    "completion): await each coroutine once");
    return NULL;
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

static PyObject *
awaitee_new_of(PyTypeObject *type, PyObject *it)
{
    AwaiteeObject *self;
    if (type == &AwaiteeType && free_count > 0) {
        self = (AwaiteeObject *)free_list[--free_count];
        PyObject_Init((PyObject *)self, type);
        PyObject_GC_Track(self);
    }
    else {
        self = (AwaiteeObject *)type->tp_alloc(type, 0);
        if (self == NULL) {
            return NULL;
        }
    }
    self->it = Py_XNewRef(it);
    self->state = FRESH;
    return (PyObject *)self;
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
        int suspended;
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
        if (suspended) {
            PyErr_SetString(PyExc_RuntimeError, "coroutine is being awaited already");
            return NULL;
        }
        return awaitee_new_of(&AwaiteeType, obj);
    }
    if (Py_IS_TYPE(obj, &AwaiteeType)) {  /* (`async with` and `async for` make theirs first) */
        return Py_NewRef(obj);
    }
    return PyObject_CallOneArg(py_into_future, obj);
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
    return reference == NULL ? NULL : PyObject_CallOneArg(reference, it);
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

#if PY_VERSION_HEX >= 0x030D0000
/* (exported by libpython; declared in internal/pycore_function.h) */
extern void _PyFunction_SetVersion(PyFunctionObject *func, uint32_t version);
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
#if PY_VERSION_HEX >= 0x030D0000
    if (fn != NULL && PyFunction_Check(fn)) {
        PyFunctionObject *f = (PyFunctionObject *)fn;
        if (f->func_version == 0) {
            _PyFunction_SetVersion(f, ((PyCodeObject *)f->func_code)->co_version);
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
    if (PyType_Ready(&AwaiteeType) < 0 || PyType_Ready(&AsyncForType) < 0) {
        return -1;
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
    if (PyModule_AddIntConstant(module, "C_API", DESUGAR_C_API) < 0) {
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
