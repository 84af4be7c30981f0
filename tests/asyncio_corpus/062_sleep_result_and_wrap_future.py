import asyncio
import concurrent.futures


async def main():
    print("sleep result:", await asyncio.sleep(0, result="slept"))
    print("sleep small result:", await asyncio.sleep(0.001, result=[1, 2]))
    cf = concurrent.futures.Future()
    wrapped = asyncio.wrap_future(cf)
    asyncio.get_running_loop().call_later(0.005, cf.set_result, "concurrent value")
    print("wrap_future:", await wrapped)
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        f = ex.submit(sum, [1, 2, 3])
        print("submitted future:", await asyncio.wrap_future(f))
    print("isfuture:", asyncio.isfuture(wrapped), "iscoroutinefunction(main):", asyncio.iscoroutinefunction(main))


asyncio.run(main())
