import ArgumentParser

/// `--service S --env E`: the one service and environment a command acts on, named and explained
/// the same way in every command's help.
struct TargetOptions: ParsableArguments {
    @Option(help: "The service, as named under `services` in shipctl.yaml.") var service: String
    @Option(help: "The environment, as named under `environments`.") var env: String
}
