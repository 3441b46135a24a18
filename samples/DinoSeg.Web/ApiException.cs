namespace DinoSeg.Web;

/// <summary>A request the API refuses: the status code and a message meant for the person at the page.</summary>
internal sealed class ApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
