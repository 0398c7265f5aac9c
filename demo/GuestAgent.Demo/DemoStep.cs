namespace GuestAgent.Demo;

/// <summary>One line of the closing summary.</summary>
public sealed record DemoStep(string What, TimeSpan Took, string Result);
