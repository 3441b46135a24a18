namespace DinoSeg.Web;

/// <summary>A request the API refuses: the status code and a message meant for the person at the page.</summary>
internal sealed class ApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>Seconds for a <c>Retry-After</c> header (503 from a full memory budget), or null.</summary>
    public int? RetryAfterSeconds { get; init; }
}
