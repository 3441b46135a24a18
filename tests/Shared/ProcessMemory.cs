namespace DinoSeg.Tests.Shared;

/// <summary>A running process's memory as the Linux kernel reports it in <c>/proc/PID/status</c>.</summary>
internal static class ProcessMemory
{
    /// <summary>The resident set now (VmRSS) and its high-water mark so far (VmHWM), in bytes; null once the process has gone.</summary>
    public static (long Resident, long Peak)? Read(int pid)
    {
        long resident = 0, peak = 0;
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) resident = Kilobytes(line) * 1024;
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line) * 1024;
            }
        }
        catch (IOException)
        {
            return null; // exited (its /proc entry went) before or while it was read
        }

        return (resident, peak);
    }

    private static long Kilobytes(string line) => long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim()[..^2].Trim()); // "VmRSS:   1234 kB"
}
