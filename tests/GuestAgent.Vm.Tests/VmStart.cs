using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>Boots a test guest, or skips the test when there is no VM image and none is required.</summary>
public static class VmStart
{
    public static async Task<TestVm> StartOrSkipAsync(string extraKernelArguments = "", string kernel = VmImage.DefaultKernel, bool agentPort = true, bool virtioMem = false, IReadOnlyList<string>? extraQemuArguments = null)
    {
        try
        {
            return await TestVm.StartAsync(extraKernelArguments, kernel, agentPort, virtioMem, extraQemuArguments);
        }
        catch (VmImageMissingException e) when (!VmImage.Required)
        {
            Assert.Skip(e.Message);
            throw;
        }
    }

    public static async Task<TestVm> StartOrSkipAsync(TestVmOptions options)
    {
        try
        {
            return await TestVm.StartAsync(options);
        }
        catch (VmImageMissingException e) when (!VmImage.Required)
        {
            Assert.Skip(e.Message);
            throw;
        }
    }
}
