<?php echo "never served\n";
