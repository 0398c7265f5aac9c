namespace GuestAgent.Memory.Writing;

/// <summary>The words the kernel accepts in <c>memoryN/state</c>.</summary>
public static class BlockStateWords
{
    public static string Format(BlockStateRequest request) => request switch
    {
        BlockStateRequest.Online => "online",
        BlockStateRequest.OnlineKernel => "online_kernel",
        BlockStateRequest.OnlineMovable => "online_movable",
        BlockStateRequest.Offline => "offline",
        _ => throw new ArgumentOutOfRangeException(nameof(request), request, null),
    };

    public static bool TryParse(string word, out BlockStateRequest request)
    {
        foreach (var candidate in Enum.GetValues<BlockStateRequest>())
        {
            if (Format(candidate) == word)
            {
                request = candidate;
                return true;
            }
        }

        request = default;
        return false;
    }
}
