import Foundation
import MoESimCore

/// `moesim presets`: the hardware presets and their numbers.
enum PresetsCommand {
    static let help = """
    USAGE: moesim presets [clusters|models] [--format table|csv]

    Lists the cluster presets a scenario can name in "cluster": {"preset": NAME}, with the
    numbers the model uses, then the model presets it can name in "model": {"preset": NAME},
    with their published shapes. Bandwidths are per direction, GB/s = 1e9 bytes/s; "eff" is the
    achievable fraction, "α" the start-up latency of a transfer phase. Any field can be
    overridden in the scenario (docs/scenarios.md). Name clusters or models to list only those;
    --format csv prints one table, the clusters' unless models are named.

    EXAMPLES:
      moesim presets
      moesim presets --format csv
      moesim presets models --format csv
    """

    static func run(_ arguments: [String]) throws {
        let args = try ArgumentParser(command: "presets", arguments: arguments,
                                      valueFlags: ["--format"], booleanFlags: ["-h", "--help"])
        if args.has("-h") || args.has("--help") { try Console.print(help); return }
        guard args.positionals.count <= 1, args.positionals.allSatisfy({ ["clusters", "models"].contains($0) }) else {
            throw CommandLineError.usage("presets takes clusters or models, or nothing (got \(args.positionals.joined(separator: " ")))",
                                         command: "presets")
        }
        let listed = args.positionals.first
        let format = try args.choice("--format", allowed: ["table", "csv"], default: "table")
        let header = ["preset", "gpus_per_node", "gpu", "bf16_tflops", "hbm_gbps", "intra_node_fabric",
                      "intra_node_gbps", "intra_node_eff", "intra_node_alpha_us", "gpu_to_nic_gbps",
                      "nics_per_node", "nic_gbps", "nic_eff", "nic_alpha_us"]
        let rows = ClusterPreset.all.map { preset -> [String] in
            let s = preset.spec
            func gb(_ link: LinkSpec) -> String { String(format: "%.0f", link.bandwidthBytesPerSecond / 1e9) }
            func us(_ link: LinkSpec) -> String { String(format: "%.1f", Double(link.latencyNanos) / 1e3) }
            return [preset.name, String(s.gpusPerNode), s.gpu.name, String(format: "%.0f", s.gpu.peakFLOPsPerSecond / 1e12),
                    String(format: "%.0f", s.gpu.hbmBytesPerSecond / 1e9), s.intraNodeFabric.rawValue,
                    gb(s.intraNodeLink), String(format: "%.2f", s.intraNodeLink.efficiency), us(s.intraNodeLink),
                    gb(s.gpuToNICLink), String(s.nicsPerNode), gb(s.nicLink),
                    String(format: "%.2f", s.nicLink.efficiency), us(s.nicLink)]
        }
        let modelHeader = ["model_preset", "hidden_size", "expert_ffn_size", "experts", "experts_per_token", "moe_layers",
                           "shared_experts", "max_groups"]
        let modelRows = ModelPreset.all.map { preset -> [String] in
            [preset.name, String(preset.hiddenSize), String(preset.expertFFNSize), String(preset.experts),
             String(preset.expertsPerToken), String(preset.moeLayers), String(preset.sharedExperts),
             preset.maxGroups.map(String.init) ?? ""]
        }
        if format == "csv" {
            if listed == "models" {
                try Console.print(CSVWriter.render(header: modelHeader, rows: modelRows), terminator: "")
            } else {
                try Console.print(CSVWriter.render(header: header, rows: rows), terminator: "")
            }
            return
        }
        if listed != "models" {
            try Console.print(TableWriter.render(header: header, rows: rows,
                                     rightAligned: header.indices.map { ![0, 2, 5].contains($0) }), terminator: "")
            try Console.print("")
            for preset in ClusterPreset.all { try Console.print("\(preset.name): \(preset.summary)") }
        }
        if listed == nil { try Console.print("") }
        if listed != "clusters" {
            try Console.print(TableWriter.render(header: modelHeader, rows: modelRows,
                                     rightAligned: modelHeader.indices.map { $0 != 0 }), terminator: "")
            try Console.print("")
            for preset in ModelPreset.all { try Console.print("\(preset.name): \(preset.source)") }
        }
    }
}
