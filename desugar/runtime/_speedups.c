/* The runtime's hot path in C: the awaitee an `await` polls, and `into_future`.
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
 * The Python class `desugar.runtime._awaitee.Awaitee` subclasses this type
 * and adds what is not on the hot path (`poll(cx)`, the `cr_*`
 * introspection, `repr`); `setup()` hands that class and the helpers written
 * in Python to this module.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *it;        /* what is awaited; NULL once done */
    PyObject *handover;  /* the first poll's wait, not handed over yet; NULL if none */
    PyObject *value;     /* the result, until read; NULL if none */
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

/* Set by setup(). */
static PyObject *Ready = NULL;          /* the class: the marker `poll_with_tls_context` returns */
static PyObject *PendingMarker = NULL;  /* `Pending`: the `for` shape's item (the wait itself is kept) */
static PyObject *Empty = NULL;          /* `_handover`'s "nothing kept" sentinel in Python */
static PyObject *py_into_future = NULL; /* the reference `into_future`, for what is not a coroutine */
static PyObject *py_exception = NULL;   /* `_exception(typ, val, tb)`: what throw() raises */
static PyObject *py_suspended = NULL;   /* `_suspended(coro)` where cr_suspended is missing (3.10) */
static getter cr_suspended = NULL;      /* the C getter of coroutine.cr_suspended (3.11+) */
static PyObject *py_poll = NULL;        /* PyAwaitee.poll(self, cx) */
static PyObject *py_awaited = NULL;     /* PyAwaitee._awaited(self): (frame, awaits, code, running) */
static PyObject *py_repr = NULL;        /* PyAwaitee.__repr__(self) */

#define FREE_MAX 64
static PyObject *free_list[FREE_MAX];   /* dead awaitees of this exact type, for reuse */
static int free_count = 0;

static PyObject *str_throw = NULL;
static PyObject *str_close = NULL;

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

/* ---- the first poll --------------------------------------------------- */

static PyObject *
awaitee_poll_with_tls_context(AwaiteeObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *it = self->it, *result;
    if (it == NULL) {
        return reused();
    }
    Py_INCREF(it);
    PySendResult status = PyIter_Send(it, Py_None, &result);
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
    PySendResult status = PyIter_Send(it, arg, &result);
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
    PyObject *result = PyObject_CallOneArg(throw_, error);
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
awaitee_get__it(AwaiteeObject *self, void *Py_UNUSED(closure))
{
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

/* cr_frame, cr_await, cr_code, cr_running: from PyAwaitee._awaited (item `closure`) */
static PyObject *
awaitee_get_awaited(AwaiteeObject *self, void *closure)
{
    PyObject *parts = PyObject_CallOneArg(py_awaited, (PyObject *)self);
    if (parts == NULL) {
        return NULL;
    }
    PyObject *item = PySequence_GetItem(parts, (Py_ssize_t)closure);
    Py_DECREF(parts);
    return item;
}

static PyObject *
awaitee_poll(AwaiteeObject *self, PyObject *cx)
{
    return PyObject_CallFunctionObjArgs(py_poll, (PyObject *)self, cx, NULL);
}

static PyObject *
awaitee_repr(AwaiteeObject *self)
{
    return PyObject_CallOneArg(py_repr, (PyObject *)self);
}

static PyGetSetDef awaitee_getset[] = {
    {"cr_frame", (getter)awaitee_get_awaited, NULL,
     "The frame of what is awaited (a coroutine, a generator, an async generator's step).", (void *)0},
    {"cr_await", (getter)awaitee_get_awaited, NULL,
     "What the awaited object itself awaits (its cr_await, gi_yieldfrom, ag_await).", (void *)1},
    {"cr_code", (getter)awaitee_get_awaited, NULL, NULL, (void *)2},
    {"cr_running", (getter)awaitee_get_awaited, NULL, NULL, (void *)3},
    {"value", (getter)awaitee_get_value, NULL,
     "The result, once: reading it lets the awaitee forget it.", NULL},
    {"_value", (getter)awaitee_get__value, (setter)awaitee_set__value, NULL, NULL},
    {"_it", (getter)awaitee_get__it, (setter)awaitee_set__it,
     "What is awaited (None once done).", NULL},
    {"_handover", (getter)awaitee_get__handover, (setter)awaitee_set__handover,
     "The first poll's wait, not handed over yet.", NULL},
    {NULL}
};

static PyMethodDef awaitee_methods[] = {
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
    return 0;  /* (a heap subclass's own traverse visits its type) */
}

static int
awaitee_clear(AwaiteeObject *self)
{
    Py_CLEAR(self->it);
    Py_CLEAR(self->handover);
    Py_CLEAR(self->value);
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
    if (Py_IS_TYPE(obj, &PyCoro_Type) && Ready != NULL) {
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
    return PyObject_CallOneArg(py_into_future, obj);
}

static PyObject *py_anext = NULL;  /* the reference `anext`, for what is not an async generator */

/* `async for`'s step: the awaitee of `type(it).__anext__(it)`. */
static PyObject *
anext_(PyObject *Py_UNUSED(module), PyObject *it)
{
    if (Py_IS_TYPE(it, &PyAsyncGen_Type) && py_anext != NULL) {
        PyObject *step = Py_TYPE(it)->tp_as_async->am_anext(it);
        if (step == NULL) {
            return NULL;
        }
        PyObject *awaitee = awaitee_new_of(&AwaiteeType, step);
        Py_DECREF(step);
        return awaitee;
    }
    if (py_anext == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "desugar.runtime._speedups: set_anext() was not called");
        return NULL;
    }
    return PyObject_CallOneArg(py_anext, it);
}

static PyObject *
set_anext(PyObject *Py_UNUSED(module), PyObject *fn)
{
    Py_XSETREF(py_anext, Py_NewRef(fn));
    Py_RETURN_NONE;
}

static PyObject *
setup(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *ready, *pending, *empty, *into, *exception, *suspended, *poll, *awaited, *repr;
    if (!PyArg_ParseTuple(args, "OOOOOOOOO:setup", &ready, &pending, &empty, &into, &exception,
                          &suspended, &poll, &awaited, &repr)) {
        return NULL;
    }
    Py_XSETREF(PendingMarker, Py_NewRef(pending));
    Py_XSETREF(Ready, Py_NewRef(ready));
    Py_XSETREF(Empty, Py_NewRef(empty));
    Py_XSETREF(py_into_future, Py_NewRef(into));
    Py_XSETREF(py_exception, Py_NewRef(exception));
    Py_XSETREF(py_suspended, Py_NewRef(suspended));
    Py_XSETREF(py_poll, Py_NewRef(poll));
    Py_XSETREF(py_awaited, Py_NewRef(awaited));
    Py_XSETREF(py_repr, Py_NewRef(repr));
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"anext", anext_, METH_O, "`async for`'s step: the awaitee of `type(it).__anext__(it)`."},
    {"set_anext", set_anext, METH_O, "set_anext(anext): the reference `anext`, for the rest."},
    {"into_future", into_future, METH_O,
     "`IntoFuture::into_future`: the awaitee that an `await obj` polls."},
    {"setup", setup, METH_VARARGS,
     "setup(Ready, Pending, EMPTY, into_future, exception, suspended, poll, awaited, repr): the Python side."},
    {NULL}
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "desugar.runtime._speedups",
    .m_doc = "The runtime's hot path in C (see desugar/runtime/_speedups.c).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&AwaiteeType) < 0) {
        return NULL;
    }
    str_throw = PyUnicode_InternFromString("throw");
    str_close = PyUnicode_InternFromString("close");
    if (str_throw == NULL || str_close == NULL) {
        return NULL;
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
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&AwaiteeType);
    if (PyModule_AddObject(module, "Awaitee", (PyObject *)&AwaiteeType) < 0) {
        Py_DECREF(&AwaiteeType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
