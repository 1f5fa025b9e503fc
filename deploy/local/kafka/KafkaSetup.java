// Waits until a Kafka-protocol broker answers, then creates the topics it is
// given (NAME:PARTITIONS) unless they exist, and waits until every partition
// of every topic has a leader. Exits non-zero, with the reason, when the
// deadline passes. Run with the Java source launcher, the broker jars on the
// class path:
//
//   java -cp 'lib/*' KafkaSetup.java 127.0.0.1:59092 60 topic.a:8 topic.b:1
//
// Topic names and counts come from deploy/local/services; nothing here is
// specific to one broker, so it is used for Apache Kafka and tansu alike.
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;

public final class KafkaSetup {
    private KafkaSetup() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: KafkaSetup BOOTSTRAP TIMEOUT_SECONDS [TOPIC:PARTITIONS ...]");
            System.exit(2);
        }
        String bootstrap = args[0];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
        Map<String, Integer> wanted = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i++) {
            int colon = args[i].lastIndexOf(':');
            wanted.put(args[i].substring(0, colon), Integer.parseInt(args[i].substring(colon + 1)));
        }

        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "100");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        try (Admin admin = Admin.create(props)) {
            String last = "no answer yet";
            // 1. The broker answers a metadata request and reports itself.
            while (true) {
                try {
                    Collection<Node> nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    if (!nodes.isEmpty()) {
                        break;
                    }
                    last = "metadata lists no broker";
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    last = String.valueOf(e.getCause() != null ? e.getCause() : e);
                }
                giveUpAfter(deadline, "broker at " + bootstrap + " did not answer: " + last);
                Thread.sleep(200);
            }
            if (wanted.isEmpty()) {
                return;
            }
            // 2. Create what is missing (retrying: a fresh controller may still be electing).
            while (true) {
                try {
                    Set<String> existing = admin.listTopics().names().get(5, TimeUnit.SECONDS);
                    List<NewTopic> missing = new ArrayList<>();
                    for (Map.Entry<String, Integer> t : wanted.entrySet()) {
                        if (!existing.contains(t.getKey())) {
                            missing.add(new NewTopic(t.getKey(), Optional.of(t.getValue()), Optional.empty()));
                        }
                    }
                    for (NewTopic t : missing) {
                        try {
                            admin.createTopics(List.of(t)).all().get(10, TimeUnit.SECONDS);
                            System.err.println("created topic " + t.name() + " (" + t.numPartitions() + " partitions)");
                        } catch (ExecutionException e) {
                            if (!(e.getCause() instanceof TopicExistsException)) {
                                throw e;
                            }
                        }
                    }
                    break;
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    last = String.valueOf(e.getCause() != null ? e.getCause() : e);
                }
                giveUpAfter(deadline, "could not create topics: " + last);
                Thread.sleep(200);
            }
            // 3. Every partition exists and has a leader.
            while (true) {
                try {
                    Map<String, TopicDescription> described =
                        admin.describeTopics(wanted.keySet()).allTopicNames().get(5, TimeUnit.SECONDS);
                    String problem = null;
                    for (Map.Entry<String, Integer> t : wanted.entrySet()) {
                        List<TopicPartitionInfo> parts = described.get(t.getKey()).partitions();
                        if (parts.size() != t.getValue()) {
                            System.err.println("topic " + t.getKey() + " exists with " + parts.size()
                                + " partitions, expected " + t.getValue()
                                + " (delete the data directory to start afresh)");
                            System.exit(1);
                        }
                        for (TopicPartitionInfo p : parts) {
                            if (p.leader() == null || p.leader().isEmpty()) {
                                problem = t.getKey() + "-" + p.partition() + " has no leader";
                            }
                        }
                    }
                    if (problem == null) {
                        return;
                    }
                    last = problem;
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    last = String.valueOf(e.getCause() != null ? e.getCause() : e);
                }
                giveUpAfter(deadline, "topics not ready: " + last);
                Thread.sleep(200);
            }
        }
    }

    private static void giveUpAfter(long deadline, String why) {
        if (System.nanoTime() > deadline) {
            System.err.println(why);
            System.exit(1);
        }
    }
}
