package io.stoker.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Kubernetes manifest set as {@code kubectl apply -k} would take it: the kustomization and the documents of
 * the files it lists, with the checks a cluster (or a user) would otherwise find only at run time. Each check
 * returns what it found wrong, one line per problem naming the object.
 */
final class KubernetesRecipe
{
    static final Map<String, String> API_VERSIONS = Map.of(
        "Namespace", "v1",
        "ConfigMap", "v1",
        "Secret", "v1",
        "PersistentVolumeClaim", "v1",
        "Service", "v1",
        "Deployment", "apps/v1",
        "DaemonSet", "apps/v1",
        "StatefulSet", "apps/v1",
        "Job", "batch/v1");

    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
    private static final List<String> PATH_OPTIONS = List.of(
        "--job-token-file", "--checkpoint-dir", "--dataset", "--shm-dir", "--ack-log", "--report");
    private static final List<String> ENDPOINT_OPTIONS = List.of("--listen", "--coordinator", "--metrics");

    final JsonNode kustomization;
    final List<JsonNode> documents;

    KubernetesRecipe(final JsonNode kustomization, final List<JsonNode> documents)
    {
        this.kustomization = kustomization;
        this.documents = documents;
    }

    /**
     * Read the kustomization in {@code directory} and every document of the resources it lists.
     */
    static KubernetesRecipe read(final Path directory) throws IOException
    {
        final YAMLMapper yaml = new YAMLMapper();
        final JsonNode kustomization = yaml.readTree(directory.resolve("kustomization.yaml").toFile());
        final List<JsonNode> documents = new ArrayList<>();
        for (final JsonNode resource : kustomization.path("resources"))
        {
            try (MappingIterator<JsonNode> it = yaml.readerFor(JsonNode.class)
                .readValues(directory.resolve(resource.asText()).toFile()))
            {
                while (it.hasNext())
                {
                    final JsonNode document = it.next();
                    if (null != document && !document.isNull() && !document.isMissingNode())
                    {
                        ((ObjectNode)document).put("#file", resource.asText());
                        documents.add(document);
                    }
                }
            }
        }
        return new KubernetesRecipe(kustomization, documents);
    }

    static String name(final JsonNode document)
    {
        return document.path("#file").asText() + ": " + document.path("kind").asText() + " " +
            document.at("/metadata/name").asText();
    }

    List<JsonNode> ofKind(final String kind)
    {
        final List<JsonNode> found = new ArrayList<>();
        for (final JsonNode document : documents)
        {
            if (kind.equals(document.path("kind").asText()))
            {
                found.add(document);
            }
        }
        return found;
    }

    /**
     * The documents that run pods (Deployment, DaemonSet, StatefulSet, Job), with their pod templates.
     */
    List<JsonNode> workloads()
    {
        final List<JsonNode> found = new ArrayList<>();
        for (final JsonNode document : documents)
        {
            if (document.at("/spec/template/spec").isObject())
            {
                found.add(document);
            }
        }
        return found;
    }

    static List<JsonNode> containers(final JsonNode workload)
    {
        final List<JsonNode> found = new ArrayList<>();
        workload.at("/spec/template/spec/initContainers").forEach(found::add);
        workload.at("/spec/template/spec/containers").forEach(found::add);
        return found;
    }

    Set<String> names(final String kind)
    {
        final Set<String> names = new HashSet<>();
        ofKind(kind).forEach(document -> names.add(document.at("/metadata/name").asText()));
        return names;
    }

    List<String> kindsAndApiVersions()
    {
        final List<String> problems = new ArrayList<>();
        if (!"kustomize.config.k8s.io/v1beta1".equals(kustomization.path("apiVersion").asText()) ||
            !"Kustomization".equals(kustomization.path("kind").asText()))
        {
            problems.add("kustomization.yaml: not a kustomize.config.k8s.io/v1beta1 Kustomization");
        }
        for (final JsonNode document : documents)
        {
            final String expected = API_VERSIONS.get(document.path("kind").asText());
            if (null == expected)
            {
                problems.add(name(document) + ": a kind this recipe does not expect");
            }
            else if (!expected.equals(document.path("apiVersion").asText()))
            {
                problems.add(name(document) + ": apiVersion " + document.path("apiVersion").asText() + ", not " +
                    expected);
            }
            if (document.at("/metadata/name").asText().isEmpty())
            {
                problems.add(name(document) + ": no metadata.name");
            }
        }
        return problems;
    }

    /**
     * Each workload's selector matches its own template; each Service's selector matches a pod template, whose
     * containers have the ports the Service targets; a pod's subdomain is a Service that selects it.
     */
    List<String> selectorsAndPorts()
    {
        final List<String> problems = new ArrayList<>();
        for (final JsonNode workload : workloads())
        {
            final JsonNode selector = workload.at("/spec/selector/matchLabels");
            if (!selector.isMissingNode() && !matches(selector, workload.at("/spec/template/metadata/labels")))
            {
                problems.add(name(workload) + ": its selector does not match its pod template's labels");
            }
        }
        for (final JsonNode service : ofKind("Service"))
        {
            final JsonNode selector = service.at("/spec/selector");
            final List<JsonNode> selected = new ArrayList<>();
            for (final JsonNode workload : workloads())
            {
                if (selector.isObject() && matches(selector, workload.at("/spec/template/metadata/labels")))
                {
                    selected.add(workload);
                }
            }
            if (selected.isEmpty())
            {
                problems.add(name(service) + ": its selector " + selector + " matches no pod template");
            }
            for (final JsonNode port : service.at("/spec/ports"))
            {
                final JsonNode target = port.has("targetPort") ? port.get("targetPort") : port.get("port");
                final String protocol = port.path("protocol").asText("TCP");
                for (final JsonNode workload : selected)
                {
                    if (!hasContainerPort(workload, target, protocol))
                    {
                        problems.add(name(service) + ": port " + port.path("name").asText() + " targets " +
                            target.asText() + "/" + protocol + ", which no container of " + name(workload) +
                            " declares");
                    }
                }
            }
        }
        for (final JsonNode workload : workloads())
        {
            final String subdomain = workload.at("/spec/template/spec/subdomain").asText();
            if (!subdomain.isEmpty() && ofKind("Service").stream().noneMatch(service ->
                subdomain.equals(service.at("/metadata/name").asText()) &&
                matches(service.at("/spec/selector"), workload.at("/spec/template/metadata/labels"))))
            {
                problems.add(name(workload) + ": subdomain " + subdomain + " is no Service selecting its pods");
            }
        }
        return problems;
    }

    /**
     * Every volumeMount names a volume of the pod; every Secret, ConfigMap and PersistentVolumeClaim a pod refers
     * to is in the set (or made by the kustomization's generators); every probe's named port and the Prometheus
     * port annotation are ports of the pod; every {@code $(VAR)} in a command is defined in the container.
     */
    List<String> references()
    {
        final List<String> problems = new ArrayList<>();
        final Set<String> secrets = names("Secret");
        kustomization.path("secretGenerator").forEach(generator -> secrets.add(generator.path("name").asText()));
        final Set<String> configMaps = names("ConfigMap");
        kustomization.path("configMapGenerator").forEach(generator -> configMaps.add(generator.path("name").asText()));
        final Set<String> claims = names("PersistentVolumeClaim");
        for (final JsonNode workload : workloads())
        {
            final JsonNode pod = workload.at("/spec/template/spec");
            final Set<String> volumes = new HashSet<>();
            for (final JsonNode volume : pod.path("volumes"))
            {
                volumes.add(volume.path("name").asText());
                refer(problems, workload, "Secret", volume.at("/secret/secretName"), secrets);
                refer(problems, workload, "ConfigMap", volume.at("/configMap/name"), configMaps);
                refer(problems, workload, "PersistentVolumeClaim", volume.at("/persistentVolumeClaim/claimName"),
                    claims);
            }
            final Set<Integer> podPorts = new HashSet<>();
            for (final JsonNode container : containers(workload))
            {
                final String where = name(workload) + " container " + container.path("name").asText();
                for (final JsonNode mount : container.path("volumeMounts"))
                {
                    if (!volumes.contains(mount.path("name").asText()))
                    {
                        problems.add(where + ": volumeMount " + mount.path("name").asText() + " names no volume");
                    }
                }
                final Set<String> env = new HashSet<>();
                for (final JsonNode variable : container.path("env"))
                {
                    env.add(variable.path("name").asText());
                    refer(problems, workload, "Secret", variable.at("/valueFrom/secretKeyRef/name"), secrets);
                    refer(problems, workload, "ConfigMap", variable.at("/valueFrom/configMapKeyRef/name"),
                        configMaps);
                    if (variable.at("/valueFrom/configMapKeyRef/name").isTextual())
                    {
                        configMapKey(problems, where, variable.at("/valueFrom/configMapKeyRef"));
                    }
                }
                for (final JsonNode source : container.path("envFrom"))
                {
                    refer(problems, workload, "ConfigMap", source.at("/configMapRef/name"), configMaps);
                    refer(problems, workload, "Secret", source.at("/secretRef/name"), secrets);
                    final String mapName = source.at("/configMapRef/name").asText();
                    ofKind("ConfigMap").stream()
                        .filter(map -> map.at("/metadata/name").asText().equals(mapName))
                        .forEach(map -> map.path("data").fieldNames().forEachRemaining(env::add));
                }
                for (final String word : commandLine(container))
                {
                    final Matcher reference = ENV_REFERENCE.matcher(word);
                    while (reference.find())
                    {
                        if (!env.contains(reference.group(1)))
                        {
                            problems.add(where + ": $(" + reference.group(1) + ") in its command is not defined");
                        }
                    }
                }
                final Set<String> portNames = new HashSet<>();
                for (final JsonNode port : container.path("ports"))
                {
                    portNames.add(port.path("name").asText());
                    podPorts.add(port.path("containerPort").asInt());
                }
                for (final String probe : List.of("readinessProbe", "livenessProbe", "startupProbe"))
                {
                    final JsonNode port = container.at("/" + probe + "/httpGet/port");
                    if (port.isTextual() && !portNames.contains(port.asText()))
                    {
                        problems.add(where + ": " + probe + " port " + port.asText() + " is not a port of it");
                    }
                }
            }
            final JsonNode scrapePort = workload.at("/spec/template/metadata/annotations/prometheus.io~1port");
            if (!scrapePort.isMissingNode() && !podPorts.contains(Integer.parseInt(scrapePort.asText())))
            {
                problems.add(name(workload) + ": prometheus.io/port " + scrapePort.asText() + " is not a port of it");
            }
        }
        return problems;
    }

    private void configMapKey(final List<String> problems, final String where, final JsonNode keyRef)
    {
        for (final JsonNode map : ofKind("ConfigMap"))
        {
            if (map.at("/metadata/name").asText().equals(keyRef.path("name").asText()) &&
                !map.path("data").has(keyRef.path("key").asText()))
            {
                problems.add(where + ": ConfigMap " + keyRef.path("name").asText() + " has no key " +
                    keyRef.path("key").asText());
            }
        }
    }

    private static void refer(
        final List<String> problems, final JsonNode workload, final String kind, final JsonNode name,
        final Set<String> declared)
    {
        if (name.isTextual() && !declared.contains(name.asText()))
        {
            problems.add(name(workload) + ": refers to " + kind + " " + name.asText() + ", which is not in the set");
        }
    }

    /**
     * Every container that runs {@code stoker}: its arguments parse with the real command line, with each
     * {@code $(VAR)} replaced by a sample value; its HOST:PORT options are HOST:PORT and its port options ports
     * of the container; its files and directories lie on a volume mounted in the container.
     *
     * @param parsed the subcommands parsed, added to.
     */
    List<String> stokerCommandLines(final Set<String> parsed)
    {
        final List<String> problems = new ArrayList<>();
        for (final JsonNode workload : workloads())
        {
            for (final JsonNode container : containers(workload))
            {
                final List<String> words = commandLine(container);
                if (words.isEmpty() || !"stoker".equals(words.get(0)))
                {
                    continue;
                }
                final String where = name(workload) + " container " + container.path("name").asText();
                final List<String> args = new ArrayList<>();
                for (final String word : words.subList(1, words.size()))
                {
                    args.add(ENV_REFERENCE.matcher(word).replaceAll(ShellCommandLines.SAMPLE));
                }
                final CommandLine.ParseResult result;
                try
                {
                    result = StokerCli.commandLine().parseArgs(args.toArray(new String[0]));
                }
                catch (final CommandLine.ParameterException ex)
                {
                    problems.add(where + ": `stoker " + String.join(" ", args) + "`: " + ex.getMessage());
                    continue;
                }
                final CommandLine.ParseResult command = result.subcommand();
                parsed.add(command.commandSpec().name());
                final Set<Integer> ports = new HashSet<>();
                container.path("ports").forEach(port -> ports.add(port.path("containerPort").asInt()));
                for (final String option : ENDPOINT_OPTIONS)
                {
                    if (command.hasMatchedOption(option))
                    {
                        final String value = command.matchedOption(option).getValue().toString();
                        try
                        {
                            Endpoints.check(option, value);
                        }
                        catch (final IllegalArgumentException ex)
                        {
                            problems.add(where + ": " + ex.getMessage());
                            continue;
                        }
                        final int port = Integer.parseInt(value.substring(value.lastIndexOf(':') + 1));
                        if (!"--coordinator".equals(option) && !ports.contains(port))
                        {
                            problems.add(where + ": " + option + " port " + port + " is not a port of the container");
                        }
                    }
                }
                for (final String option : PATH_OPTIONS)
                {
                    if (command.hasMatchedOption(option))
                    {
                        final String path = command.matchedOption(option).getValue().toString();
                        boolean mounted = false;
                        for (final JsonNode mount : container.path("volumeMounts"))
                        {
                            mounted |= Path.of(path).startsWith(Path.of(mount.path("mountPath").asText()));
                        }
                        if (!mounted)
                        {
                            problems.add(where + ": " + option + " " + path + " is on no volume of the container");
                        }
                    }
                }
            }
        }
        return problems;
    }

    static List<String> commandLine(final JsonNode container)
    {
        final List<String> words = new ArrayList<>();
        container.path("command").forEach(word -> words.add(word.asText()));
        container.path("args").forEach(word -> words.add(word.asText()));
        return words;
    }

    private static boolean matches(final JsonNode selector, final JsonNode labels)
    {
        if (!selector.isObject() || selector.isEmpty())
        {
            return false;
        }
        final Iterator<Map.Entry<String, JsonNode>> fields = selector.fields();
        while (fields.hasNext())
        {
            final Map.Entry<String, JsonNode> field = fields.next();
            if (!field.getValue().asText().equals(labels.path(field.getKey()).asText(null)))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean hasContainerPort(final JsonNode workload, final JsonNode target, final String protocol)
    {
        for (final JsonNode container : containers(workload))
        {
            for (final JsonNode port : container.path("ports"))
            {
                final boolean same = target.isInt() ? target.asInt() == port.path("containerPort").asInt() :
                    target.asText().equals(port.path("name").asText());
                if (same && protocol.equals(port.path("protocol").asText("TCP")))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * @return the files in {@code directory} that are YAML but not listed as resources (nor the kustomization).
     */
    List<String> unlisted(final Path directory) throws IOException
    {
        final Set<String> listed = new HashSet<>();
        kustomization.path("resources").forEach(resource -> listed.add(resource.asText()));
        final List<String> problems = new ArrayList<>();
        try (var files = Files.list(directory))
        {
            files.map(file -> file.getFileName().toString())
                .filter(file -> file.endsWith(".yaml") && !"kustomization.yaml".equals(file) && !listed.contains(file))
                .forEach(file -> problems.add(file + " is not among the kustomization's resources"));
        }
        return problems;
    }
}
