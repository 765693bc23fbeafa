namespace Ambassador.FunctionalTests.Infrastructure;

/// <summary>Synchronises on an observable condition with a deadline, never on a fixed sleep.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                last = ex;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {because}.{(last is null ? "" : $" Last error: {last.Message}")}");
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string because) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, because);
}
