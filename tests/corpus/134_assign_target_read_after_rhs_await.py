from desugar.runtime import block_on, yield_now

trace = []
i = 0
box = {"name": "old box"}


async def bump_i():
    global i
    await yield_now()
    i = 2
    trace.append("i bumped to 2")
    return "value"


async def replace_box():
    global box
    await yield_now()
    box = {"name": "new box"}
    return "stored"


class Obj:
    pass


async def main():
    global i
    lst = ["a", "b", "c"]
    lst[i] = await bump_i()
    print(lst)
    old = box
    box["key"] = await replace_box()
    print(old, box)
    holder = Obj()
    holder.target = Obj()

    async def swap_target():
        await yield_now()
        holder.target = Obj()
        holder.target.tag = "new target"
        return "attr value"

    first_target = holder.target
    holder.target.value = await swap_target()
    print(hasattr(first_target, "value"), holder.target.value, holder.target.tag)


block_on(main())
print(trace)
