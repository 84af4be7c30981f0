# requires: 3.11 (asyncio.timeout)
import asyncio

log = []


async def slow_job():
    try:
        await asyncio.sleep(10)
        return "finished"
    except asyncio.CancelledError:
        log.append("slow_job cancelled")
        raise


async def main():
    job = asyncio.create_task(slow_job())
    try:
        async with asyncio.timeout(0.01):
            await job
    except TimeoutError:
        log.append("timeout around await task")
    await asyncio.sleep(0)
    log.append(f"job cancelled={job.cancelled()} done={job.done()}")
    if not job.done():
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)
    for line in log:
        print(line)


asyncio.run(main())
